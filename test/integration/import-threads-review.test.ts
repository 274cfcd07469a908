/**
 * Regressions from issue 12's review: the parse threads against the job's
 * own thread (ITD_IMPORT_THREADS=0) on bodies made to tell them apart. Each
 * failed before its fix.
 */
import Database from "better-sqlite3";
import { execSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportYml, issueWith, scratchIn, sqlIn, startExportServer } from "./import-export-server.js";

/** Whether this machine lets the test mount a small tmpfs (root, and a mount namespace that allows it). */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join("/mnt", `itd-probe-${process.pid}`);
  try {
    mkdirSync(probe, { recursive: true });
    execSync(`mount -t tmpfs -o size=1m tmpfs ${probe} && umount ${probe}`, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe("parse threads, as the job's own thread", () => {
  it("name an invalid record by its number in the response when an earlier run holds a blank line", async () => {
    const s = await startExportServer({ stepMs: 2000, pad: 200, extra: (k) => (k === 5 ? "\n" : ""), lineFor: (k, r) => JSON.stringify(k === 30000 ? { ...r, n: "abc" } : r) });
    const [a, b] = await Promise.all([issueWith(0, exportYml(s.url)), issueWith(2, exportYml(s.url))]);
    await s.close();
    const m = (o: { out: string }): string | undefined => /record \d+: column n[^\n]*/.exec(o.out)?.[0];
    expect(m(a)).toBe('record 30001: column n (long): cannot convert "abc"');
    expect(b.out).toContain("parse threads");
    expect(m(b)).toBe(m(a));
  }, 120_000);

  it("give a column the load does not fill its default", async () => {
    const s = await startExportServer({ stepMs: 2000, pad: 200 });
    const first = await issueWith(0, exportYml(s.url).replace("2026-06-02T00:00:00Z", "2026-06-01T01:00:00Z"));
    const c = new Database(join(first.dir, "home", "warehouse", "rvdb.db"));
    c.exec(`ALTER TABLE tbl ADD COLUMN x TEXT DEFAULT 'd'`);
    c.exec(`ALTER TABLE tbl ADD COLUMN y INTEGER NOT NULL DEFAULT 7`);
    c.close();
    const dir2 = `${first.dir}-copy`;
    cpSync(first.dir, dir2, { recursive: true });
    const later = exportYml(s.url).replace("'2026-06-01T00:00:00Z'", "'2026-06-01T01:00:00Z'");
    const got = [];
    for (const [threads, dir] of [
      [0, first.dir],
      [2, dir2],
    ] as const) {
      const r = await issueWith(threads, later, dir);
      expect(r.code, r.out).toBe(0);
      got.push(sqlIn<{ n: number; d: number; seven: number }>(dir, "SELECT count(*) n, sum(x = 'd') d, sum(y = 7) seven FROM tbl")[0]);
    }
    await s.close();
    expect(got[0]).toEqual({ n: 43_200, d: 43_200, seven: 43_200 });
    expect(got[1]).toEqual(got[0]);
  }, 120_000);

  it("retry a response that breaks in its first run from its start, with no spurious split", async () => {
    const res = [];
    for (const threads of [0, 2]) {
      const s = await startExportServer({ stepMs: 86_400_000 / 3000, pad: 200, cutAt: 600_000, chunk: 16384 });
      const r = await issueWith(threads, exportYml(s.url, "  max_slice_records: 4000\n"));
      res.push({ code: r.code, requests: s.requests, split: /max_slice_records\)/.test(r.out), brokeOff: /broke off after \d+ records/.test(r.out), rows: sqlIn(r.dir, "SELECT count(*) n FROM tbl") });
      await s.close();
    }
    expect(res[0]).toMatchObject({ code: 0, requests: 2, split: false, brokeOff: true, rows: [{ n: 3000 }] });
    expect(res[1]).toEqual(res[0]);
  }, 300_000);

  it.runIf(canMountTmpfs())("name a full disk when a thread's scratch file fills it, and leave no scratch file", async () => {
    const mnt = join("/mnt", `itd-full-${process.pid}`);
    mkdirSync(mnt, { recursive: true });
    execSync(`mount -t tmpfs -o size=12m tmpfs ${mnt}`);
    try {
      const s = await startExportServer({ stepMs: 86_400_000 / 60000, pad: 300 });
      mkdirSync(join(mnt, "d"));
      const r = await issueWith(2, exportYml(s.url), join(mnt, "d"));
      await s.close();
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/database or disk is full/);
      expect(r.out).not.toMatch(/cannot rollback/);
      expect(scratchIn(join(mnt, "d"))).toEqual([]);
    } finally {
      rmSync(join(mnt, "d"), { recursive: true, force: true });
      execSync(`umount ${mnt}`);
    }
  }, 120_000);
});
