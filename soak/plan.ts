/**
 * What the soak runs: the schedules (all three data types, incremental and
 * not, every mode, a CLI schedule and a file schedule) and, for each, the rule
 * the oracle holds its table to. Two of them (issue 15: a lookback, an upsert)
 * read a second fake of their own, whose events arrive late and whose users
 * keep changing on the real clock (`lateFakeOptions`).
 */
import { campaignsFor, listsFor, type FakeIterableOptions, type GeneratorConfig } from "../src/fake-iterable/index.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** What a table must hold, from the fake's deterministic data. */
export type Expectation =
  /** Incremental append: every record of [start, committed cursor) exactly once. */
  | { kind: "incremental"; type: string; start: number }
  /** replace / truncate / replace_on_new_data of a fixed window: the window's records exactly once. */
  | { kind: "snapshot"; type: string; start: number; end: number }
  /** Non-incremental append of a fixed window: one copy per successful job (plus a partial one after a failure). */
  | { kind: "copies"; type: string; start: number; end: number }
  /** replace, lifetime metrics: every campaign exactly once. */
  | { kind: "campaigns" }
  /** Incremental append of metrics windows: each window of a contiguous chain [start, cursor), every campaign once per window. */
  | { kind: "campaign-windows"; start: number }
  /** replace: every member of the list exactly once. */
  | { kind: "list"; listId: number }
  /**
   * Incremental append with `in.lookback` over late events (the second fake): every event that was visible when
   * a window containing it was read, exactly once by its key; nothing outside the windows read (oracle-keyed.ts).
   */
  | { kind: "lookback"; type: string; start: number; lookbackMs: number }
  /** Incremental `mode: upsert` of the user export by email (the second fake): one row per user, its newest version read (oracle-keyed.ts). */
  | { kind: "upsert"; start: number };

export interface SoakSchedule {
  name: string;
  cron: string;
  database: string;
  table: string;
  catchup: "all" | "latest" | "none";
  /** The `in:` keys besides type, api_key and base_url (the seed config guess completes). */
  in: Record<string, string | number | boolean>;
  mode: "append" | "replace" | "truncate" | "replace_on_new_data" | "upsert";
  /** The `out:` keys besides mode (YAML values, written as given). */
  out?: Record<string, string>;
  expect: Expectation;
  /** Defined in `schedules/NAME.yml` instead of by `connector:create`. */
  file?: boolean;
  /** Reads the second fake (late events, changing users) instead of the main one. */
  late?: boolean;
}

/** The lookback schedule's late events: 10 % of them arrive up to 20 s after their createdAt. */
export const LATE_BY_MS = 20_000;
/** Its lookback: twice the longest delay. */
export const LOOKBACK_MS = 40_000;

/**
 * The second fake's options for a soak starting at `now` (issue 15). emailSend at 2 events a second, 10 % of them
 * late by up to 20 s: every window of the lookback schedule has late events. 2,000 users with 1,000 profile versions
 * each over the year after dataStart (user-versions.ts: version v of every user in the v-th thousandth of the year,
 * 8.76 h long), dataStart 18 hours before now: the upsert's first run reads each user's first two versions and part of
 * the third (about 4,100 records), and on the real clock a new version arrives every 16 s, updating a row.
 */
export function lateFakeOptions(base: Pick<FakeIterableOptions, "apiKey" | "rateLimitOverrides">, seed: number, now: number): FakeIterableOptions {
  return {
    ...base, seed: seed + 15, eventsPerDay: 172_800, users: 2_000, userUpdates: 1_000, campaigns: 10, lists: 1,
    lateShare: 0.1, lateByMs: LATE_BY_MS, dataStart: Math.floor(now / MINUTE) * MINUTE - 18 * HOUR,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const exportIn = (type: string, extra: Record<string, string | number | boolean>) => ({ data_type: "export_data", export_data_type: type, ...extra });

/**
 * The soak's schedules for a run starting at `now` (`late`: the second fake's configuration). Crons fire every 15–50 s:
 * about one job every 2.5 s, which two cores keep up with.
 */
export function soakSchedules(cfg: GeneratorConfig, late: GeneratorConfig, now: number): SoakSchedule[] {
  const hour = Math.floor(now / HOUR) * HOUR;
  const day = cfg.dataStart + 24 * HOUR;
  const window = (start: number, end: number) => ({ start_time: iso(start), end_time: iso(end) });
  const list = listsFor(cfg).find((l) => l.listType === "Standard") ?? listsFor(cfg)[0];
  if (!list) throw new Error("soak: the fake has no lists");
  if (campaignsFor(cfg).length === 0) throw new Error("soak: the fake has no campaigns");
  return [
    {
      name: "opens_inc", cron: "*/20 * * * * *", database: "soak_events", table: "opens", catchup: "all", mode: "append",
      in: exportIn("emailOpen", { incremental: true, start_time: iso(hour - 6 * HOUR), slice_hours: 1 }),
      expect: { kind: "incremental", type: "emailOpen", start: hour - 6 * HOUR },
    },
    {
      name: "users_inc", cron: "*/30 * * * * *", database: "soak_users", table: "users", catchup: "latest", mode: "append",
      // The fake's profile updates span the year after dataStart: the first run imports its last month, later ones find none.
      in: exportIn("user", { incremental: true, start_time: iso(cfg.dataStart + 335 * 24 * HOUR), slice_hours: 24 * 30 }),
      expect: { kind: "incremental", type: "user", start: cfg.dataStart + 335 * 24 * HOUR },
    },
    {
      name: "clicks_file", cron: "5/30 * * * * *", database: "soak_events", table: "clicks", catchup: "none", mode: "append", file: true,
      in: exportIn("emailClick", { incremental: true, start_time: iso(hour - 2 * HOUR) }),
      expect: { kind: "incremental", type: "emailClick", start: hour - 2 * HOUR },
    },
    {
      name: "sends_replace", cron: "*/30 * * * * *", database: "soak_events", table: "sends", catchup: "all", mode: "replace",
      in: exportIn("emailSend", window(day, day + HOUR)),
      expect: { kind: "snapshot", type: "emailSend", start: day, end: day + HOUR },
    },
    {
      name: "bounces_truncate", cron: "*/40 * * * * *", database: "soak_events", table: "bounces", catchup: "latest", mode: "truncate",
      in: exportIn("emailBounce", window(day, day + 6 * HOUR)),
      expect: { kind: "snapshot", type: "emailBounce", start: day, end: day + 6 * HOUR },
    },
    {
      name: "push_ronnd", cron: "10/40 * * * * *", database: "soak_events", table: "pushes", catchup: "all", mode: "replace_on_new_data",
      in: exportIn("pushSend", window(day, day + 2 * HOUR)),
      expect: { kind: "snapshot", type: "pushSend", start: day, end: day + 2 * HOUR },
    },
    {
      name: "custom_append", cron: "15/45 * * * * *", database: "soak_custom", table: "events", catchup: "all", mode: "append",
      in: exportIn("customEvent", { ...window(day, day + HOUR), slice_hours: 1 }),
      expect: { kind: "copies", type: "customEvent", start: day, end: day + HOUR },
    },
    {
      name: "campaigns_all", cron: "*/40 * * * * *", database: "soak_campaigns", table: "lifetime", catchup: "latest", mode: "replace",
      in: { data_type: "campaign", number_of_ids_for_each_request: 7 },
      expect: { kind: "campaigns" },
    },
    {
      name: "campaigns_inc", cron: "*/30 * * * * *", database: "soak_campaigns", table: "windows", catchup: "all", mode: "append",
      in: { data_type: "campaign", incremental: true, start_time: iso(hour - HOUR), number_of_ids_for_each_request: 10 },
      expect: { kind: "campaign-windows", start: hour - HOUR },
    },
    {
      name: "members", cron: "25/50 * * * * *", database: "soak_lists", table: "members", catchup: "all", mode: "replace",
      in: { data_type: "list", list_id: list.id },
      expect: { kind: "list", listId: list.id },
    },
    {
      name: "sends_lookback", cron: "*/15 * * * * *", database: "soak_late", table: "sends", catchup: "all", mode: "append", late: true,
      in: exportIn("emailSend", { incremental: true, start_time: iso(Math.floor(now / MINUTE) * MINUTE - 10 * MINUTE), lookback: `${LOOKBACK_MS / 1000}s` }),
      expect: { kind: "lookback", type: "emailSend", start: Math.floor(now / MINUTE) * MINUTE - 10 * MINUTE, lookbackMs: LOOKBACK_MS },
    },
    {
      name: "users_upsert", cron: "10/30 * * * * *", database: "soak_late", table: "profiles", catchup: "latest", mode: "upsert", late: true,
      in: exportIn("user", { incremental: true, start_time: iso(late.dataStart) }),
      out: { primary_keys: "[email]", time_column: "profile_updated_at" },
      expect: { kind: "upsert", start: late.dataStart },
    },
  ];
}

/** The seed load.yml of a schedule (guess adds the columns). */
export function seedYaml(s: SoakSchedule, baseUrl: string): string {
  const lines = ["in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${baseUrl}`];
  for (const [k, v] of Object.entries(s.in)) lines.push(`  ${k}: ${typeof v === "string" ? `'${v}'` : String(v)}`);
  lines.push("out:", `  mode: ${s.mode}`);
  for (const [k, v] of Object.entries(s.out ?? {})) lines.push(`  ${k}: ${v}`);
  lines.push("");
  return lines.join("\n");
}

/** The transient schedules the CLI drivers create, update and delete while the daemon runs (their seed: `seedYaml`). */
export function transientSchedule(start: number): SoakSchedule {
  return {
    name: "", cron: "", database: "", table: "", catchup: "all", mode: "append",
    in: exportIn("smsSend", { incremental: true, start_time: iso(start) }),
    expect: { kind: "incremental", type: "smsSend", start },
  };
}
