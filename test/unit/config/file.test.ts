import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DAEMON_CONFIG_KEYS,
  daemonConfigSchema,
  defaultDaemonConfig,
  parseDaemonConfig,
  parseJobTimeout,
  parseRate,
  parseRetention,
  readDaemonConfig,
  schedulesDirOf,
} from "../../../src/config/file.js";
import { ConfigError } from "../../../src/errors.js";
import { DEFAULT_RATE_LIMITS } from "../../../src/iterable/index.js";

const EXAMPLE = fileURLToPath(new URL("../../../config/itd.yml", import.meta.url));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The ConfigError `fn` throws (fails the test if it throws nothing or something else). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

function linesOf(fn: () => unknown): string[] {
  return configErrorOf(fn).message.split("\n");
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "itd-daemon-config-"));
}

describe("the daemon config", () => {
  it("is all defaults when the file is empty or holds only comments", () => {
    const expected = {
      http_port: 9464,
      http_host: "127.0.0.1",
      max_concurrent_jobs: 4,
      job_process_max_jobs: 100,
      job_process_max_rss_mb: 512,
      shutdown_grace: 30,
      job_timeout: 12 * HOUR,
      history_retention: 90 * DAY,
      catchup_cap: 100,
      log_level: "info",
      rate_limits: {},
    };
    expect(parseDaemonConfig("", "itd.yml")).toEqual(expected);
    expect(parseDaemonConfig("# nothing set\n\n", "itd.yml")).toEqual(expected);
    expect(parseDaemonConfig("---\n", "itd.yml")).toEqual(expected);
    expect(defaultDaemonConfig()).toEqual(expected);
  });

  it("treats a key written with no value as not set", () => {
    expect(parseDaemonConfig("home:\nhttp_port: 0\nrate_limits:\n", "itd.yml")).toEqual({ ...defaultDaemonConfig(), http_port: 0 });
    expect(parseDaemonConfig("rate_limits:\n  export:\n  lists: 50/s\n", "itd.yml").rate_limits).toEqual({ lists: { limit: 50, windowMs: 1000 } });
  });

  it("reads every duration with one grammar: seconds, or a number with s, m, h, d or w (shutdown_grace: 30s as job_timeout: 90m)", () => {
    expect(parseDaemonConfig("shutdown_grace: 30s\n", "itd.yml").shutdown_grace).toBe(30);
    expect(parseDaemonConfig("shutdown_grace: 2m\n", "itd.yml").shutdown_grace).toBe(120);
    expect(parseDaemonConfig("shutdown_grace: 45\n", "itd.yml").shutdown_grace).toBe(45);
    expect(parseDaemonConfig("job_timeout: 90m\n", "itd.yml").job_timeout).toBe(90 * 60_000);
    expect(linesOf(() => parseDaemonConfig("shutdown_grace: soon\n", "itd.yml"))).toEqual([
      'itd.yml: shutdown_grace: expected a number of seconds ≥ 0 or a duration such as 30s or 2m; got "soon"',
    ]);
  });

  it("reads every key it knows", () => {
    const c = parseDaemonConfig(
      [
        "home: /var/lib/itd",
        "schedules_dir: /etc/itd/schedules",
        "http_port: 0",
        "http_host: 0.0.0.0",
        "max_concurrent_jobs: 16",
        "job_processes: 2",
        "job_process_max_jobs: 50",
        "job_process_max_rss_mb: 256",
        "shutdown_grace: 5",
        "job_timeout: 6h",
        "history_retention: 12h",
        "catchup_cap: 3",
        "log_level: debug",
        "rate_limits: { export: 8/60s, campaigns: 200/s }",
      ].join("\n"),
      "itd.yml",
    );
    expect(c).toEqual({
      home: "/var/lib/itd",
      schedules_dir: "/etc/itd/schedules",
      http_port: 0,
      http_host: "0.0.0.0",
      max_concurrent_jobs: 16,
      job_processes: 2,
      job_process_max_jobs: 50,
      job_process_max_rss_mb: 256,
      shutdown_grace: 5,
      job_timeout: 6 * HOUR,
      history_retention: 12 * HOUR,
      catchup_cap: 3,
      log_level: "debug",
      rate_limits: { export: { limit: 8, windowMs: 60_000 }, campaigns: { limit: 200, windowMs: 1000 } },
    });
  });

  it("describes every field, rate limit groups included, for the reference docs", () => {
    const undocumented: string[] = [];
    for (const [key, field] of Object.entries(daemonConfigSchema.shape)) {
      if (!(field as z.ZodType).description) undocumented.push(key);
    }
    const rates = z.toJSONSchema(daemonConfigSchema, { io: "input" }) as unknown as {
      properties: { rate_limits: { properties: Record<string, { description?: string }> } };
    };
    for (const [group, field] of Object.entries(rates.properties.rate_limits.properties)) {
      if (!field.description) undocumented.push(`rate_limits.${group}`);
    }
    expect(undocumented).toEqual([]);
    expect(Object.keys(rates.properties.rate_limits.properties)).toEqual(Object.keys(DEFAULT_RATE_LIMITS));
  });

  describe("history_retention", () => {
    it("turns durations into milliseconds", () => {
      expect(parseRetention("90d")).toBe(90 * DAY);
      expect(parseRetention("12h")).toBe(12 * HOUR);
      expect(parseRetention("2w")).toBe(14 * DAY);
      expect(parseRetention("30m")).toBe(30 * 60_000);
      expect(parseRetention("45s")).toBe(45_000);
    });

    it('keeps history forever with "0", written as a string or a number', () => {
      expect(parseDaemonConfig('history_retention: "0"', "itd.yml").history_retention).toBe(0);
      expect(parseDaemonConfig("history_retention: 0", "itd.yml").history_retention).toBe(0);
    });

    it("refuses a bare number other than 0 and an unknown unit", () => {
      expect(parseRetention(90)).toBeUndefined();
      expect(parseRetention("90")).toBeUndefined();
      expect(parseRetention("3y")).toBeUndefined();
      expect(linesOf(() => parseDaemonConfig("history_retention: 90", "itd.yml"))).toEqual([
        'itd.yml: history_retention: expected a duration such as 90d, 12h, 2w or 30m, or "0" to keep history forever; got 90',
      ]);
    });
  });

  describe("job_timeout", () => {
    it("reads seconds as a number, or a duration, into milliseconds", () => {
      expect(parseJobTimeout(3)).toBe(3000);
      expect(parseJobTimeout(1.5)).toBe(1500);
      expect(parseJobTimeout("6h")).toBe(6 * HOUR);
      expect(parseJobTimeout("90m")).toBe(90 * 60_000);
      expect(parseDaemonConfig("job_timeout: 3", "itd.yml").job_timeout).toBe(3000);
      expect(parseDaemonConfig("job_timeout: 2d", "itd.yml").job_timeout).toBe(2 * DAY);
    });

    it('means no limit with 0 or "0"', () => {
      expect(parseDaemonConfig("job_timeout: 0", "itd.yml").job_timeout).toBe(0);
      expect(parseDaemonConfig('job_timeout: "0"', "itd.yml").job_timeout).toBe(0);
      expect(parseJobTimeout(0.0001)).toBe(1); // a tiny limit is still a limit
    });

    it("refuses a negative number, a bare string and an unknown unit, saying what is allowed", () => {
      expect(parseJobTimeout(-1)).toBeUndefined();
      expect(parseJobTimeout("90")).toBeUndefined();
      expect(parseJobTimeout("3y")).toBeUndefined();
      expect(linesOf(() => parseDaemonConfig("job_timeout: -5", "itd.yml"))).toEqual([
        'itd.yml: job_timeout: expected a number of seconds ≥ 0 or a duration such as 12h, 90m or 2d; 0 or "0" = no limit; got -5',
      ]);
      expect(linesOf(() => parseDaemonConfig("job_timeout: [1h]", "itd.yml"))).toEqual([
        'itd.yml: job_timeout: expected a number of seconds ≥ 0 or a duration such as 12h, 90m or 2d; 0 or "0" = no limit; got a list',
      ]);
    });
  });

  describe("rate_limits", () => {
    it("parses N/WINDOW into a limit and a window in milliseconds", () => {
      expect(parseRate("4/60s")).toEqual({ limit: 4, windowMs: 60_000 });
      expect(parseRate("10/1m")).toEqual({ limit: 10, windowMs: 60_000 });
      expect(parseRate("100/s")).toEqual({ limit: 100, windowMs: 1000 });
      expect(parseRate("5 / 2min")).toEqual({ limit: 5, windowMs: 120_000 });
      expect(parseRate("4/60")).toBeUndefined();
      expect(parseRate("0/60s")).toBeUndefined();
      expect(parseRate("4/0s")).toBeUndefined();
    });

    it("accepts the commented-out example of config/itd.yml, which lists the documented limits", () => {
      const commented = readFileSync(EXAMPLE, "utf8")
        .split("\n")
        .filter((l) => /^# (rate_limits:| {2}\w+: )/.test(l))
        .map((l) => l.slice(2))
        .join("\n");
      expect(commented).toMatch(/^rate_limits:/);
      expect(parseDaemonConfig(commented, "itd.yml").rate_limits).toEqual(DEFAULT_RATE_LIMITS);
    });

    it("names an unknown group, suggests the close one and lists the groups", () => {
      expect(linesOf(() => parseDaemonConfig("rate_limits:\n  exprot: 4/60s\n", "itd.yml"))).toEqual([
        "itd.yml: rate_limits.exprot: unknown group (did you mean export?); allowed groups: export, getUsers, metrics, campaigns, lists",
      ]);
    });

    it("says what a budget looks like when one is malformed", () => {
      expect(linesOf(() => parseDaemonConfig("rate_limits: { getUsers: 4 per minute }", "itd.yml"))).toEqual([
        'itd.yml: rate_limits.getUsers: expected N/WINDOW with WINDOW in ms, s, m, min or h, such as 4/60s or 100/1s; got "4 per minute"',
      ]);
    });
  });

  describe("errors", () => {
    it("names an unknown key, suggests the close one and lists the allowed keys", () => {
      expect(linesOf(() => parseDaemonConfig("http_prot: 8080", "itd.yml"))).toEqual([
        `itd.yml: http_prot: unknown key (did you mean http_port?); allowed keys: ${DAEMON_CONFIG_KEYS.join(", ")}`,
      ]);
      expect(DAEMON_CONFIG_KEYS).toContain("rate_limits");
    });

    it("reports every problem at once, one line each, in the order of the file", () => {
      const text = [
        "log_level: loud",
        "http_port: 70000",
        "bogus: 1",
        "max_concurrent_jobs: 0",
        "shutdown_grace: -1",
        "catchup_cap: 2.5",
        'http_host: ""',
        "home: [a]",
      ].join("\n");
      const lines = linesOf(() => parseDaemonConfig(text, "/etc/itd/itd.yml"));
      expect(lines).toEqual([
        'itd.yml: log_level: expected one of trace, debug, info, warn, error, fatal; got "loud"',
        "itd.yml: http_port: expected an integer from 0 to 65535 (0 = no HTTP server); got 70000",
        `itd.yml: bogus: unknown key; allowed keys: ${DAEMON_CONFIG_KEYS.join(", ")}`,
        "itd.yml: max_concurrent_jobs: expected an integer ≥ 1; got 0",
        "itd.yml: shutdown_grace: expected a number of seconds ≥ 0 or a duration such as 30s or 2m; got -1",
        "itd.yml: catchup_cap: expected an integer ≥ 1; got 2.5",
        'itd.yml: http_host: expected a host name or IP address such as 127.0.0.1; got ""',
        "itd.yml: home: expected a directory path; got a list",
      ].map((l) => l.replace(/^itd\.yml/, "/etc/itd/itd.yml")));
    });

    it("says what the warm job processes' keys accept", () => {
      expect(linesOf(() => parseDaemonConfig("job_processes: -1\njob_process_max_jobs: 0\njob_process_max_rss_mb: 10\n", "itd.yml"))).toEqual([
        "itd.yml: job_processes: expected an integer ≥ 0 (0 = a fresh process for every job); got -1",
        "itd.yml: job_process_max_jobs: expected an integer ≥ 1; got 0",
        "itd.yml: job_process_max_rss_mb: expected an integer ≥ 64 (megabytes); got 10",
      ]);
      expect(parseDaemonConfig("job_processes: 0\n", "itd.yml").job_processes).toBe(0);
    });

    it("refuses a port written as a string rather than coercing it", () => {
      expect(linesOf(() => parseDaemonConfig('http_port: "9464"', "itd.yml"))).toEqual([
        'itd.yml: http_port: expected an integer from 0 to 65535 (0 = no HTTP server); got "9464"',
      ]);
    });

    it("gives the line and column of a YAML syntax error", () => {
      expect(linesOf(() => parseDaemonConfig("http_port: 1\nhttp_host: [127.0.0.1\nlog_level: info\n", "itd.yml"))).toEqual([
        expect.stringMatching(/^itd\.yml:3:\d+: \S/),
      ]);
      expect(linesOf(() => parseDaemonConfig("http_port: 1\nhttp_port: 2\n", "itd.yml"))).toEqual([
        expect.stringMatching(/^itd\.yml:2:1: duplicated mapping key/),
      ]);
    });

    it("refuses a file that is not a mapping, or holds several documents", () => {
      expect(linesOf(() => parseDaemonConfig("- http_port: 1\n", "itd.yml"))).toEqual([
        expect.stringMatching(/^itd\.yml: expected a mapping of daemon settings \(home, .*\); got a list$/),
      ]);
      expect(linesOf(() => parseDaemonConfig("http_port: 1\n---\nhttp_port: 2\n", "itd.yml"))).toEqual([
        "itd.yml: expected one YAML document; got 2",
      ]);
    });

    it("is an error with the config code", () => {
      expect(configErrorOf(() => parseDaemonConfig("x: 1", "itd.yml")).code).toBe("config");
    });
  });

  describe("config/itd.yml, the documented example", () => {
    const text = readFileSync(EXAMPLE, "utf8");

    it("is accepted and sets exactly the defaults", () => {
      expect(parseDaemonConfig(text, EXAMPLE)).toEqual(defaultDaemonConfig());
    });

    it("documents every key, with a comment above it", () => {
      const lines = text.split("\n");
      for (const key of DAEMON_CONFIG_KEYS) {
        const at = lines.findIndex((l) => new RegExp(`^(# )?${key}:`).test(l));
        expect(at, `${key} is in the example`).toBeGreaterThan(0);
        expect(lines[at - 1], `${key} has a comment above it`).toMatch(/^#/);
      }
    });
  });

  describe("finding the file", () => {
    it("reads the file given with --config, relative to the working directory", () => {
      const cwd = tempDir();
      writeFileSync(join(cwd, "mine.yml"), "http_port: 1234\n");
      const r = readDaemonConfig("mine.yml", { ITD_CONFIG: join(cwd, "other.yml") }, cwd);
      expect(r.config.http_port).toBe(1234);
      expect(r.file).toBe(join(cwd, "mine.yml"));
    });

    it("says a file given explicitly is not found, by the path given", () => {
      const cwd = tempDir();
      expect(linesOf(() => readDaemonConfig("nope/itd.yml", {}, cwd))).toEqual(["configuration file: nope/itd.yml not found"]);
      expect(linesOf(() => readDaemonConfig(undefined, { ITD_CONFIG: "/no/such/itd.yml" }, cwd))).toEqual([
        "configuration file: /no/such/itd.yml not found",
      ]);
    });

    it("reads $ITD_CONFIG when there is no --config", () => {
      const cwd = tempDir();
      writeFileSync(join(cwd, "env.yml"), "catchup_cap: 7\n");
      mkdirSync(join(cwd, "config"));
      writeFileSync(join(cwd, "config", "itd.yml"), "catchup_cap: 9\n");
      expect(readDaemonConfig(undefined, { ITD_CONFIG: "env.yml" }, cwd).config.catchup_cap).toBe(7);
    });

    it("falls back to ./config/itd.yml when present", () => {
      const cwd = tempDir();
      mkdirSync(join(cwd, "config"));
      writeFileSync(join(cwd, "config", "itd.yml"), "catchup_cap: 9\n");
      const r = readDaemonConfig(undefined, {}, cwd);
      expect(r.config.catchup_cap).toBe(9);
      expect(r.file).toBe(join(cwd, "config", "itd.yml"));
    });

    it("uses the defaults and no file when there is none", () => {
      const r = readDaemonConfig(undefined, {}, tempDir());
      expect(r).toEqual({ config: defaultDaemonConfig(), file: undefined });
    });

    it("names the file in problems with the path it was given as", () => {
      const cwd = tempDir();
      writeFileSync(join(cwd, "bad.yml"), "log_level: loud\n");
      expect(linesOf(() => readDaemonConfig("bad.yml", {}, cwd))).toEqual([
        'bad.yml: log_level: expected one of trace, debug, info, warn, error, fatal; got "loud"',
      ]);
    });

    it("resolves a relative home and schedules_dir against the file's directory", () => {
      const cwd = tempDir();
      mkdirSync(join(cwd, "etc"));
      writeFileSync(join(cwd, "etc", "itd.yml"), "home: ../state\nschedules_dir: schedules.d\n");
      for (const [given, from] of [
        ["etc/itd.yml", cwd],
        [join(cwd, "etc", "itd.yml"), "/"],
      ] as const) {
        const { config } = readDaemonConfig(given, {}, from);
        expect(config.home).toBe(join(cwd, "state"));
        expect(config.schedules_dir).toBe(join(cwd, "etc", "schedules.d"));
      }
    });
  });

  describe("the schedules directory", () => {
    it("is $ITD_SCHEDULES, else schedules_dir, else <home>/schedules", () => {
      const set = parseDaemonConfig("schedules_dir: /etc/itd/schedules", "itd.yml");
      expect(schedulesDirOf(set, "/var/lib/itd", { ITD_SCHEDULES: "/srv/schedules" })).toBe("/srv/schedules");
      expect(schedulesDirOf(set, "/var/lib/itd", {})).toBe("/etc/itd/schedules");
      expect(schedulesDirOf(defaultDaemonConfig(), "/var/lib/itd", {})).toBe("/var/lib/itd/schedules");
    });
  });
});

describe("the warehouse key", () => {
  it("takes sqlite or a PostgreSQL URL, and a wrong value is named without its password", () => {
    expect(parseDaemonConfig("warehouse: postgresql://itd:${PW}@db:5432/analytics\n", "itd.yml").warehouse).toBe("postgresql://itd:${PW}@db:5432/analytics");
    expect(parseDaemonConfig("warehouse: sqlite\n", "itd.yml").warehouse).toBe("sqlite");
    const err = (() => {
      try {
        parseDaemonConfig("warehouse: mysql://u:hunter2@db/x\n", "itd.yml");
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toMatch(/^itd\.yml: warehouse: expected sqlite or postgresql:\/\/USER@HOST:PORT\/DBNAME; got .*mysql:\/\/u:\*\*\*@db\/x/);
    expect(err?.message).not.toContain("hunter2");
  });
});
