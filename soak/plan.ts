/**
 * What the soak runs: the schedules (all three data types, incremental and
 * not, every mode, a CLI schedule and a file schedule) and, for each, the rule
 * the oracle holds its table to.
 */
import { campaignsFor, listsFor, type GeneratorConfig } from "../src/fake-iterable/index.js";

const HOUR = 3_600_000;

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
  | { kind: "list"; listId: number };

export interface SoakSchedule {
  name: string;
  cron: string;
  database: string;
  table: string;
  catchup: "all" | "latest" | "none";
  /** The `in:` keys besides type, api_key and base_url (the seed config guess completes). */
  in: Record<string, string | number | boolean>;
  mode: "append" | "replace" | "truncate" | "replace_on_new_data";
  expect: Expectation;
  /** Defined in `schedules/NAME.yml` instead of by `connector:create`. */
  file?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The soak's schedules for a run starting at `now`. Crons fire every 20–50 s: about one job every 3 s, which two cores keep up with. */
export function soakSchedules(cfg: GeneratorConfig, now: number): SoakSchedule[] {
  const hour = Math.floor(now / HOUR) * HOUR;
  const day = cfg.dataStart + 24 * HOUR;
  const window = (start: number, end: number) => ({ start_time: iso(start), end_time: iso(end) });
  const list = listsFor(cfg).find((l) => l.listType === "Standard") ?? listsFor(cfg)[0];
  if (!list) throw new Error("soak: the fake has no lists");
  if (campaignsFor(cfg).length === 0) throw new Error("soak: the fake has no campaigns");
  const exportIn = (type: string, extra: Record<string, string | number | boolean>) => ({ data_type: "export_data", export_data_type: type, ...extra });
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
  ];
}

/** The seed load.yml of a schedule (guess adds the columns). */
export function seedYaml(s: SoakSchedule, baseUrl: string): string {
  const lines = ["in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${baseUrl}`];
  for (const [k, v] of Object.entries(s.in)) lines.push(`  ${k}: ${typeof v === "string" ? `'${v}'` : String(v)}`);
  lines.push("out:", `  mode: ${s.mode}`, "");
  return lines.join("\n");
}

/** A transient schedule the CLI driver creates, updates and deletes while the daemon runs. */
export function transientSeed(baseUrl: string, start: number): string {
  return seedYaml(
    {
      name: "", cron: "", database: "", table: "", catchup: "all", mode: "append",
      in: { data_type: "export_data", export_data_type: "smsSend", incremental: true, start_time: iso(start) },
      expect: { kind: "incremental", type: "smsSend", start },
    },
    baseUrl,
  );
}
