/** `itd fake-iterable`, run in process: where the data begins with --now and --data-start; late events. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { fakeIterableCommand } from "../../../src/cli/commands/fake-iterable.js";
import { dataStartBefore, eventIdentities, generatorConfig, servedAt, userVersions } from "../../../src/fake-iterable/index.js";

const KEY = "cli-key";

/** Runs the command with `args`, calls `body` with its URL, then stops it. */
async function withCommand(args: readonly string[], body: (url: string) => Promise<void>): Promise<void> {
  const stdout = new PassThrough();
  const ac = new AbortController();
  const firstLine = new Promise<string>((resolve) => {
    let text = "";
    stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
    });
  });
  const done = fakeIterableCommand.run({
    argv: ["--port", "0", "--api-key", KEY, "--no-rate-limits", ...args],
    env: {},
    stdout,
    stderr: new PassThrough(),
    cwd: process.cwd(),
    signal: ac.signal,
  });
  try {
    const line = await Promise.race([firstLine, done.then((code) => `exited with ${code}`)]);
    const url = /^listening on (\S+)$/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    await body(url as string);
  } finally {
    ac.abort();
    expect(await done).toBe(0);
  }
}

async function exportLines(url: string, query: Record<string, string>): Promise<string[]> {
  const res = await fetch(`${url}/api/export/data.json?${new URLSearchParams(query).toString()}`, { headers: { "Api-Key": KEY } });
  expect(res.status).toBe(200);
  return (await res.text()).split("\n").filter((l) => l !== "");
}

describe("dataStartBefore", () => {
  it("is the same UTC day and time a year earlier", () => {
    expect(dataStartBefore(Date.UTC(2026, 5, 2, 13, 45))).toBe(Date.UTC(2025, 5, 2, 13, 45));
    expect(dataStartBefore(Date.UTC(2024, 1, 29))).toBe(Date.UTC(2023, 2, 1));
  });
});

describe("itd fake-iterable", () => {
  it("serves data up to a --now earlier than the default data start, from a year before it", async () => {
    await withCommand(["--now", "2024-03-10T12:00:00Z", "--events-per-day", "200"], async (url) => {
      const yesterday = await exportLines(url, { dataTypeName: "emailSend", range: "Yesterday" });
      expect(yesterday.length).toBeGreaterThan(100);
      for (const l of yesterday) expect(l).toContain('"createdAt":"2024-03-09 ');
      const all = await exportLines(url, { dataTypeName: "emailOpen", range: "All", onlyFields: "createdAt" });
      const times = all.map((l) => (JSON.parse(l) as { createdAt: string }).createdAt).sort();
      expect(times[0]?.startsWith("2023-03-10 ")).toBe(true);
      expect(times[times.length - 1]?.startsWith("2024-03-10 ")).toBe(true);
      const users = await exportLines(url, { dataTypeName: "user", range: "All", onlyFields: "profileUpdatedAt" });
      expect(users.length).toBeGreaterThan(100);
    });
  });

  it("lets --data-start say where the data begins, even with --now", async () => {
    await withCommand(["--now", "2024-03-10T12:00:00Z", "--data-start", "2024-03-09T00:00:00Z", "--events-per-day", "200"], async (url) => {
      const all = await exportLines(url, { dataTypeName: "emailOpen", range: "All", onlyFields: "createdAt" });
      expect(all.length).toBeGreaterThan(0);
      for (const l of all) expect(l >= '{"createdAt":"2024-03-09 00:00:00').toBe(true);
    });
  });
});

/** Runs the command with `args` (which must be refused before it listens) and returns its error message. */
async function refusal(args: readonly string[]): Promise<string> {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 5000).unref();
  try {
    await fakeIterableCommand.run({ argv: ["--port", "0", ...args], env: {}, stdout: new PassThrough(), stderr: new PassThrough(), cwd: process.cwd(), signal: ac.signal });
  } catch (err) {
    ac.abort();
    expect((err as Error).name).toBe("UsageError");
    return (err as Error).message;
  }
  return "not refused";
}

describe("itd fake-iterable --late-share --late-by", () => {
  const now = Date.UTC(2026, 5, 2);
  const day = { start: now - 86_400_000, end: now };

  it("holds back the share of events the oracle says, given as 5% or 0.05", async () => {
    const cfg = { ...generatorConfig({ eventsPerDay: 2000, lateShare: 0.05, lateByMs: 2 * 3_600_000, dataStart: dataStartBefore(now) }), now };
    const ids = [...eventIdentities(cfg, "emailSend", day)];
    const expected = ids.filter((i) => servedAt(i, now)).length;
    expect(expected).toBeLessThan(ids.length);
    const query = { dataTypeName: "emailSend", range: "Yesterday", onlyFields: "messageId" };
    for (const share of ["5%", "0.05", " 5 % "]) {
      await withCommand(["--now", "2026-06-02T00:00:00Z", "--events-per-day", "2000", "--late-share", share, "--late-by", "2h"], async (url) => {
        expect((await exportLines(url, query)).length, share).toBe(expected);
      });
    }
    await withCommand(["--now", "2026-06-02T00:00:00Z", "--events-per-day", "2000", "--late-by", "2h"], async (url) => {
      expect((await exportLines(url, query)).length).toBe(ids.length);
    });
  });

  it("refuses a bad share or duration, naming the flag and the value", async () => {
    expect(await refusal(["--late-share", "abc", "--late-by", "2h"])).toBe('--late-share: expected a fraction from 0 to 1 (0.05) or a percentage (5%); got "abc"');
    expect(await refusal(["--late-share", "1.5", "--late-by", "2h"])).toMatch(/^--late-share: .*; got "1.5"$/);
    expect(await refusal(["--late-share", "150%", "--late-by", "2h"])).toMatch(/^--late-share: .*; got "150%"$/);
    expect(await refusal(["--late-share", "-5%", "--late-by", "2h"])).toMatch(/^--late-share: .*; got "-5%"$/);
    expect(await refusal(["--late-share", "5%", "--late-by", "2 hours"])).toBe('--late-by: expected a duration such as 90s, 30m, 2h or 1d; got "2 hours"');
    expect(await refusal(["--late-share", "5%", "--late-by", "2"])).toMatch(/^--late-by: expected a duration .*; got "2"$/);
    expect(await refusal(["--late-share", "5%", "--late-by", "500ms"])).toBe('--late-by: expected at least 1s when --late-share is above 0; got "500ms"');
    expect(await refusal(["--late-share", "5%"])).toMatch(/^--late-share 5% needs --late-by DURATION/);
  });
});

describe("itd fake-iterable --user-updates", () => {
  it("serves N profile versions of each user, as userUpdates does", async () => {
    const now = "2026-06-02T00:00:00Z";
    const cfg = { ...generatorConfig({ users: 40, userUpdates: 3, dataStart: dataStartBefore(Date.parse(now)) }), now: Date.parse(now) };
    const expected = [...userVersions(cfg, { start: 0, end: cfg.now })].map((v) => v.email);
    expect(expected.length).toBe(120);
    await withCommand(["--now", now, "--users", "40", "--user-updates", "3"], async (url) => {
      const emails = (await exportLines(url, { dataTypeName: "user", range: "All", onlyFields: "email" })).map((l) => (JSON.parse(l) as { email: string }).email);
      expect(emails).toEqual(expected);
      expect(new Set(emails).size).toBe(40);
    });
    await withCommand(["--now", now, "--users", "40"], async (url) => {
      expect((await exportLines(url, { dataTypeName: "user", range: "All", onlyFields: "email" })).length).toBe(40);
    });
  });

  it("refuses a count that is not a whole number from 1 to 1000, naming the flag and the value", async () => {
    expect(await refusal(["--user-updates", "0"])).toBe("--user-updates: expected a number from 1 to 1000; got 0");
    expect(await refusal(["--user-updates", "1001"])).toBe("--user-updates: expected a number from 1 to 1000; got 1001");
    expect(await refusal(["--user-updates", "2.5"])).toBe('--user-updates: expected a whole number; got "2.5"');
    expect(await refusal(["--user-updates", "many"])).toBe('--user-updates: expected a whole number; got "many"');
  });
});
