/**
 * Upsert benchmark (issue 15, its second target): `out.mode: upsert` with
 * `primary_keys: [email]` against a plain append of the same records, for
 * the user export. The fake Iterable (`--users N --user-updates 2`) gives
 * each user two profile versions, the first ones in the first half of the
 * year and the second ones in the second; each half (N records) is recorded
 * once and replayed by a static server in its own process (replay-server.ts),
 * so the figures measure the importer, not the fake's generator (which makes
 * some 20,000 profiles/s here). Whole `itd connector:issue` processes, each
 * half one slice (one request: the replay server answers every request with
 * the whole half). Per round, in a fresh home:
 *
 * - append: the first versions into a new append table (the baseline);
 * - upsert: the first versions into a new upsert table (every key new);
 * - append, second half: the second versions onto the append table (its
 *   baseline: the same records onto a table of N rows);
 * - upsert, second half: onto the upsert table, every row updated (newer and
 *   different);
 * - replay: the second half again, every record already present.
 *
 * Pairs alternate which goes first; ratios are baseline time / variant time
 * per round (records/s of the variant over the append's), median. Every run's
 * counts (records, present, updated) and the tables' rows are checked, and
 * in the last round the upsert table's rows against the second versions.
 */
import Database from "better-sqlite3";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { countExportRecords, dataStartBefore, generatorConfig } from "../src/fake-iterable/index.js";
import { UserSlots } from "../src/fake-iterable/user-versions.js";
import { guessColumns, ITD, itdHome, type ItdHome } from "./itd-home.js";
import { loadText, watchLoad, type LoadSummary } from "./loadavg.js";
import { recordExport, startServer } from "./servers.js";
import { fmt, median } from "./stats.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const KEY = "bench-upsert-key";
const NOW = Date.UTC(2026, 5, 1);
const DATA_START = dataStartBefore(NOW);
const TARGET = 0.5;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const VARIANTS = ["append", "upsert", "append-b", "upsert-b", "replay"] as const;
type Variant = (typeof VARIANTS)[number];
/** Each variant's baseline: the append of the same records onto a table of the same size. */
const BASELINE: Record<Variant, Variant> = { append: "append", upsert: "append", "append-b": "append-b", "upsert-b": "append-b", replay: "append-b" };
const LABEL: Record<Variant, string> = {
  append: "append, first versions, new table (baseline)",
  upsert: "upsert, first versions, new table (every key new)",
  "append-b": "append, second versions onto the first (baseline)",
  "upsert-b": "upsert, second versions (every row updated)",
  replay: "upsert, second versions again (every record present)",
};

interface Sample {
  ms: number;
  records: number;
  present: number;
  updated: number;
}

export interface UpsertCheck {
  what: string;
  expected: number;
  got: number;
}

export interface UpsertBenchResult {
  users: number;
  columns: number;
  mbPerHalf: number;
  fakeProfilesPerSec: number;
  rounds: number;
  rows: { variant: Variant; label: string; medianMs: number; minMs: number; maxMs: number; recordsPerSec: number; present: number; updated: number; ratio: number; roundRatios: number[] }[];
  failed: UpsertCheck[];
  checks: number;
  load: LoadSummary;
}

interface Half {
  url: string;
  start: number;
  end: number;
}

function loadYml(half: Half, columns: string, upsert: boolean): string {
  return (
    `in:\n  type: iterable\n  api_key: ${KEY}\n  base_url: ${half.url}\n  data_type: export_data\n  export_data_type: user\n` +
    `  start_time: '${iso(half.start)}'\n  end_time: '${iso(half.end)}'\n  max_slice_records: 100000000\n${columns}` +
    `out:\n  mode: ${upsert ? "upsert\n  primary_keys: [email]" : "append"}\n  time_column: profile_updated_at\n`
  );
}

async function issue(h: ItdHome, yml: string, table: string, create: boolean): Promise<Sample> {
  const r = await h.itd(["connector:issue", yml, "--database", "bench_db", "--table", table, ...(create ? ["--auto-create-table"] : []), "-f", "json"]);
  const job = JSON.parse(r.stdout) as { status: string; records: number; present_records: number; updated_records: number };
  if (job.status !== "success") throw new Error(`connector:issue ${yml} into ${table}: ${r.stdout}`);
  return { ms: r.ms, records: job.records, present: job.present_records, updated: job.updated_records };
}

export async function upsertBench(options: { root: string; users: number; rounds: number; log: (line: string) => void }): Promise<UpsertBenchResult> {
  const { root, users, rounds, log } = options;
  const cfg = generatorConfig({ users, userUpdates: 2, dataStart: DATA_START, now: NOW });
  // The first second versions' time: before it only first versions, from it only second ones.
  const middle = new UserSlots(cfg).time(users);
  const halves = [
    { start: DATA_START, end: middle },
    { start: middle, end: NOW },
  ];
  for (const w of halves) {
    const n = countExportRecords(cfg, "user", w);
    if (n !== users) throw new Error(`the fake's user export of ${iso(w.start)} → ${iso(w.end)} holds ${n} records, not ${users}`);
  }
  log(`recording ${fmt(users)} users' two profile versions…`);
  const fake = await startServer([ITD, "fake-iterable", "--port", "0", "--api-key", KEY, "--no-rate-limits", "--users", String(users), "--user-updates", "2", "--now", iso(NOW), "--data-start", iso(DATA_START)]);
  let columns: string;
  const files = [join(root, "users-first.ndjson"), join(root, "users-second.ndjson")];
  let bytes = 0;
  let fakeMs = 0;
  try {
    columns = await guessColumns(join(root, "guess"), `in:\n  type: iterable\n  api_key: ${KEY}\n  base_url: ${fake.url}\n  data_type: export_data\n  export_data_type: user\n  start_time: '${iso(DATA_START)}'\n  end_time: '${iso(NOW)}'\n`);
    for (const [i, w] of halves.entries()) {
      const got = await recordExport(fake.url, KEY, w.start, w.end, files[i] as string, "user");
      if (got.records !== users) throw new Error(`recorded ${got.records} user records of ${iso(w.start)} → ${iso(w.end)}, expected ${users}`);
      bytes += got.bytes;
      fakeMs += got.ms;
    }
  } finally {
    fake.stop();
  }
  const servers = await Promise.all(files.map((f) => startServer([`${HERE}/replay-server.js`, f])));
  const checks: UpsertCheck[] = [];
  const check = (what: string, expected: number, got: number): void => void checks.push({ what, expected, got });
  try {
    const ymls = halves.map((w, i) => ({ ...w, url: (servers[i] as { url: string }).url }));
    const write = (dir: string): void => {
      writeFileSync(join(dir, "first-append.yml"), loadYml(ymls[0] as Half, columns, false));
      writeFileSync(join(dir, "first-upsert.yml"), loadYml(ymls[0] as Half, columns, true));
      writeFileSync(join(dir, "second-append.yml"), loadYml(ymls[1] as Half, columns, false));
      writeFileSync(join(dir, "second-upsert.yml"), loadYml(ymls[1] as Half, columns, true));
    };
    const runs: Record<Variant, (h: ItdHome) => Promise<Sample>> = {
      append: (h) => issue(h, "first-append.yml", "users_append", true),
      upsert: (h) => issue(h, "first-upsert.yml", "users_upsert", true),
      "append-b": (h) => issue(h, "second-append.yml", "users_append", false),
      "upsert-b": (h) => issue(h, "second-upsert.yml", "users_upsert", false),
      replay: (h) => issue(h, "second-upsert.yml", "users_upsert", false),
    };
    const warm = itdHome(join(root, "warm"));
    write(warm.dir);
    await runs.append(warm); // page cache, the replay server: untimed
    rmSync(warm.dir, { recursive: true, force: true });

    const load = watchLoad();
    const samples: Record<Variant, Sample>[] = [];
    for (let r = 1; r <= rounds; r++) {
      const h = itdHome(join(root, `round-${r}`));
      write(h.dir);
      const order: Variant[] = r % 2 === 1 ? ["append", "upsert", "append-b", "upsert-b", "replay"] : ["upsert", "append", "upsert-b", "append-b", "replay"];
      const got = {} as Record<Variant, Sample>;
      for (const v of order) {
        got[v] = await runs[v](h);
        log(`  users round ${r}/${rounds}: ${v} ${fmt(got[v].ms / 1000, 1)} s (${fmt(got[v].records)} records, ${fmt(got[v].present)} present, ${fmt(got[v].updated)} updated)`);
      }
      samples.push(got);
      const want: Record<Variant, [number, number]> = { append: [0, 0], upsert: [0, 0], "append-b": [0, 0], "upsert-b": [0, users], replay: [users, 0] };
      for (const v of VARIANTS) {
        check(`round ${r} ${v}: records`, users, got[v].records);
        check(`round ${r} ${v}: already in the table`, (want[v] as [number, number])[0], got[v].present);
        check(`round ${r} ${v}: updated a row`, (want[v] as [number, number])[1], got[v].updated);
      }
      const db = new Database(h.databaseFile("bench_db"), { readonly: true, fileMustExist: true });
      try {
        const one = (sql: string, ...params: unknown[]): number => db.prepare(sql).pluck().get(...params) as number;
        check(`round ${r}: rows in the append table`, 2 * users, one("SELECT count(*) FROM users_append"));
        check(`round ${r}: rows in the upsert table`, users, one("SELECT count(*) FROM users_upsert"));
        check(`round ${r}: distinct emails in the upsert table`, users, one("SELECT count(DISTINCT email) FROM users_upsert"));
        check(`round ${r}: upsert rows at their second version's time`, users, one("SELECT count(*) FROM users_upsert WHERE time >= ?", middle / 1000));
        if (r === rounds) {
          // Each upsert row is its user's second version as appended (same time, place, points, profile).
          const same =
            "SELECT count(*) FROM users_upsert u JOIN users_append a ON a.email = u.email AND a.time = u.time " +
            "AND a.city IS u.city AND a.loyalty_points IS u.loyalty_points AND a.profile IS u.profile AND a.user_id IS u.user_id";
          check(`round ${r}: upsert rows equal to the appended second version`, users, one(same));
        }
      } finally {
        db.close();
      }
      rmSync(h.dir, { recursive: true, force: true });
    }
    const loadSummary = load.stop();
    const rows = VARIANTS.map((variant) => {
      const ms = samples.map((s) => s[variant].ms);
      const roundRatios = samples.map((s) => s[BASELINE[variant]].ms / s[variant].ms);
      return {
        variant,
        label: LABEL[variant],
        medianMs: median(ms),
        minMs: Math.min(...ms),
        maxMs: Math.max(...ms),
        recordsPerSec: users / (median(ms) / 1000),
        present: median(samples.map((s) => s[variant].present)),
        updated: median(samples.map((s) => s[variant].updated)),
        ratio: median(roundRatios),
        roundRatios,
      };
    });
    return { users, columns: columns.split("\n").filter((l) => l.startsWith("  - ")).length, mbPerHalf: bytes / 2 / 1e6, fakeProfilesPerSec: (2 * users) / (fakeMs / 1000), rounds, rows, failed: checks.filter((c) => c.expected !== c.got), checks: checks.length, load: loadSummary };
  } finally {
    for (const s of servers) s.stop();
    for (const f of files) rmSync(f, { force: true });
  }
}

export function upsertBenchMarkdown(r: UpsertBenchResult): string {
  const out = [
    `The fake's user export, ${fmt(r.users)} users with two profile versions each (\`--users ${r.users} --user-updates 2\`), recorded per half-year ` +
      `(${fmt(r.users)} records, ${fmt(r.mbPerHalf)} MB of NDJSON each; the fake generated ${fmt(r.fakeProfilesPerSec)} profiles/s) and replayed by a ` +
      `static server; whole \`itd connector:issue\` processes (${r.columns} guessed columns, \`time_column: profile_updated_at\`, one slice), ${r.rounds} rounds ` +
      "in a fresh home each, pairs alternating which runs first; medians. Ratio = the append baseline's time / the variant's (records/s of the " +
      `variant over the append's), per round, median. Target: upsert ≥ ${TARGET.toFixed(1)}× append.`,
    "",
    "| variant | median s | min–max s | records/s | already in the table | updated a row | vs append | ≥ 0.5× |",
    "|---|---:|---:|---:|---:|---:|---:|:---:|",
  ];
  for (const row of r.rows) {
    const base = BASELINE[row.variant] === row.variant;
    out.push(
      `| ${row.label} | ${fmt(row.medianMs / 1000, 1)} | ${fmt(row.minMs / 1000, 1)}–${fmt(row.maxMs / 1000, 1)} | ${fmt(row.recordsPerSec)} | ${fmt(row.present)} | ${fmt(row.updated)} | ` +
        `${base ? "1.00×" : `${fmt(row.ratio, 2)}× (${row.roundRatios.map((x) => fmt(x, 2)).join(", ")})`} | ${base ? "—" : row.ratio >= TARGET ? "met" : "**missed**"} |`,
    );
  }
  out.push(
    "",
    (r.failed.length === 0
      ? `All ${r.checks} counts held (each run's records, present and updated; each table's rows; the upsert table's rows equal to the second versions).`
      : `**${r.failed.length} of ${r.checks} counts were wrong**: ${r.failed.map((c) => `${c.what}: expected ${fmt(c.expected)}, got ${fmt(c.got)}`).join("; ")}.`) +
      ` During the rounds: ${loadText(r.load)}.`,
  );
  return out.join("\n");
}
