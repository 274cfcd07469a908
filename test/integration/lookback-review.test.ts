/**
 * Review of issue 15 with real `itd` processes against the fake: a lookback
 * table whose key gains a column later (connector:guess adds one), and an
 * upsert of a list re-read unchanged.
 */
import Database from "better-sqlite3";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventIdentities, generatorConfig, listsFor, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { fakeForFile, itdHome } from "./helpers.js";

const KEY = "lookback-review-15";
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 1);
const FAKE: FakeIterableOptions = {
  apiKey: KEY,
  seed: 1517,
  eventsPerDay: 12_000,
  rateLimits: false,
  dataStart: T0 - 30 * 24 * HOUR,
  now: T0,
};
const cfg = generatorConfig(FAKE);

const theFake = fakeForFile(FAKE);

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function workspace(name: string) {
  const { dir, home, env, itd } = itdHome(`itd-lookback-review-${name}-`, KEY, "export=1000/1s,getUsers=1000/1s");
  const fake = theFake();
  const query = <T>(db: string, sql: string): T[] => {
    const conn = new Database(join(home, "warehouse", `${db}.db`), { readonly: true, fileMustExist: true });
    try {
      return conn.prepare(sql).all() as T[];
    } finally {
      conn.close();
    }
  };
  /** A load.yml: `lines` of in:, then those from "out:" on as they are. */
  const loadYml = (file: string, lines: string[]) => {
    const at = lines.indexOf("out:");
    const inLines = at < 0 ? lines : lines.slice(0, at);
    const rest = at < 0 ? [] : lines.slice(at);
    writeFileSync(
      join(dir, file),
      ["in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, ...inLines.map((l) => `  ${l}`), ...rest, ""].join("\n"),
    );
  };
  return { dir, env, itd, query, loadYml };
}

describe("lookback and upsert, reviewed (issue 15)", () => {
  it("a lookback table whose key gains a column later (url added to in.columns) still holds every click once", async () => {
    const w = workspace("added");
    const base = ["data_type: export_data", "export_data_type: emailClick", "incremental: true", `start_time: '${iso(T0)}'`, "lookback: 3h"];
    w.loadYml("load.yml", [...base, "columns:", "- {name: created_at, type: timestamp}", "- {name: message_id, type: string}", "- {name: email, type: string}", "out:", "  mode: append"]);
    await w.itd("connector:create", "clicks", "0 * * * *", "click_db", "clicks", "load.yml", "--auto-create-table");
    for (let k = 1; k <= 3; k++) {
      theFake().setNow(T0 + k * HOUR);
      await w.itd("connector:run", "clicks", iso(T0 + k * HOUR), "--foreground");
    }
    // connector:guess (or the user) adds the link's column: the default key of emailClick now has url in it.
    w.loadYml("load.yml", [
      ...base,
      "columns:", "- {name: created_at, type: timestamp}", "- {name: message_id, type: string}", "- {name: email, type: string}", "- {name: url, type: string}",
      "out:", "  mode: append",
    ]);
    await w.itd("connector:update", "clicks", "load.yml");
    for (let k = 4; k <= 5; k++) {
      theFake().setNow(T0 + k * HOUR);
      await w.itd("connector:run", "clicks", iso(T0 + k * HOUR), "--foreground");
    }
    const all = [...eventIdentities(cfg, "emailClick", { start: T0, end: T0 + 5 * HOUR })];
    expect(new Set(all.map((e) => `${e.messageId}|${e.createdAt}`)).size).toBe(all.length); // no two clicks alike in (messageId, createdAt)
    const [rows] = w.query<{ n: number; pairs: number }>("click_db", "SELECT count(*) AS n, count(DISTINCT message_id || '|' || created_at) AS pairs FROM clicks");
    expect(rows).toEqual({ n: all.length, pairs: all.length });
  }, 120_000);

  it("an upsert of a list read again unchanged counts its members present, not updated", async () => {
    const w = workspace("list");
    const listId = listsFor(cfg)[0]?.id as number;
    w.loadYml("load.yml", [
      "data_type: list", `list_id: ${listId}`,
      "columns:", "- {name: list_id, type: long}", "- {name: email, type: string}", "- {name: user_id, type: string}",
      "out:", "  mode: upsert", "  primary_keys: [email]",
    ]);
    const run = async () =>
      JSON.parse(await w.itd("connector:issue", "load.yml", "--database", "list_db", "--table", "members", "--auto-create-table", "-f", "json")) as {
        records: number;
        present_records: number;
        updated_records: number;
      };
    const first = await run();
    expect(first.records).toBeGreaterThan(0);
    const second = await run();
    // Nothing changed in Iterable: the replay changes nothing (README: "replaying … changes nothing and counts the records as already present").
    expect(second).toMatchObject({ records: first.records, present_records: first.records, updated_records: 0 });
  }, 120_000);
});
