/**
 * Issue 11: a command loads only what it uses. From the bundle that bin/itd
 * runs (npm test builds it first): the packages each command imports before
 * it runs. A heavy import slipping into a shared module fails here by name.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs script without types
import { startupPackages } from "../../../scripts/bundle-report.mjs";

const packagesOf = (command?: string): string[] => [...(startupPackages(command) as Map<string, number>).keys()].sort();

/** Loaded by commands that talk to Iterable, check a load config, run the daemon or log. */
const HEAVY = ["undici", "zod", "prom-client", "pino", "luxon", "js-yaml"];

describe("what a command loads at start-up", () => {
  it("`itd help` and an unknown command load no dependency at all", () => {
    expect(packagesOf()).toEqual(["itd"]);
  });

  it.each([
    ["job", "job:list", []],
    ["warehouse", "db:list, table:list, table:show, query", []],
    ["connector-list", "connector:list, connector:history", ["luxon"]],
    ["schedule-next", "schedule:next", ["luxon"]],
    ["job-show", "job:show", ["js-yaml"]],
  ])("%s (%s) loads none of the heavy packages but %j", (file, _names, allowed) => {
    const loaded = packagesOf(file).filter((p) => HEAVY.includes(p));
    expect(loaded).toEqual(allowed);
  });

  it("the commands that talk to Iterable do load its client (the check sees what it claims to)", () => {
    expect(packagesOf("connector-issue")).toEqual(expect.arrayContaining(["undici", "zod"]));
  });
});
