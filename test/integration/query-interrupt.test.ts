/**
 * `itd query -l 0` over a big table, stopped by a real signal while it draws
 * the table: it ends at once (exit 130, `interrupted by SIG…`), its output cut
 * short, instead of drawing on until SIGKILL.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ITD, tempDir } from "./helpers.js";

/** Rows enough that drawing them takes many seconds (about 0.1–0.4 ms a row on 2 busy cores). */
const ROWS = 60_000;
/** Generous: a process that heeds the signal ends well within it; one that draws every row first does not. */
const EXIT_DEADLINE_MS = 15_000;

let home: string;
beforeAll(() => {
  home = join(tempDir("itd-query-int-"), "home");
  mkdirSync(join(home, "warehouse"), { recursive: true });
  // Straight into the warehouse file: a database is a file under warehouse/.
  const db = new Database(join(home, "warehouse", "big_db.db"));
  db.exec("CREATE TABLE email_sends (message_id TEXT, email TEXT, campaign_id INTEGER, created_at TEXT, time INTEGER)");
  const insert = db.prepare("INSERT INTO email_sends VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(`m${i.toString(36)}aa0c94f6b2e1d3`, `user${i % 5000}@example.com`, 2_200_000 + (i % 40), "2026-11-28 10:00:00.000", 1_764_316_800 + i);
  })();
  db.close();
});

describe("itd query stopped by a signal", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("ends soon after %s while drawing a big table, the table cut short", async (signal) => {
    const child = spawn(process.execPath, [ITD, "--home", home, "query", "-d", "big_db", "-l", "0", "SELECT * FROM email_sends"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<{ code: number | null }>((resolve) => child.on("close", (code) => resolve({ code })));
    // The first rows are out: the query is done and the table is being drawn.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output within 90 s; stderr: ${stderr}`)), 90_000);
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        clearTimeout(timer);
        resolve();
      });
    });
    child.kill(signal);
    const deadline = new Promise<"deadline">((resolve) => setTimeout(() => resolve("deadline"), EXIT_DEADLINE_MS).unref());
    const first = await Promise.race([closed, deadline]);
    if (first === "deadline") child.kill("SIGKILL");
    expect(first, `still running ${EXIT_DEADLINE_MS} ms after ${signal}`).not.toBe("deadline");
    const end = await closed;
    expect(end.code).toBe(130);
    expect(stderr).toContain(`Error: interrupted by ${signal}`);
    expect(stdout.startsWith("+---")).toBe(true);
    expect(stdout).not.toContain("rows in set");
  }, 180_000);
});
