#!/usr/bin/env node
// Before `npm test`: the Debian tools some tests check against (promtool, from the package `prometheus`;
// chromium, which the status pages' browser test drives through playwright-core).
// On a fresh CI machine (root, apt-get, Debian's mirrors reachable) they are installed here, from the
// project's own files; anywhere else a missing tool is only reported and its tests say they are skipped.
// Never fails the test run: a tool that cannot be installed leaves its tests skipped, saying why.
import { spawnSync } from "node:child_process";
import process from "node:process";
import console from "node:console";

const TOOLS = [
  { command: "promtool", args: ["--version"], pkg: "prometheus", why: "checks /metrics as Prometheus would" },
  { command: "chromium", args: ["--version"], pkg: "chromium", why: "renders the daemon's status pages in a real browser" },
];

const have = (t) => spawnSync(t.command, t.args, { stdio: "ignore" }).error === undefined;
const missing = TOOLS.filter((t) => !have(t));
if (missing.length === 0) process.exit(0);

const root = typeof process.getuid === "function" && process.getuid() === 0;
const apt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).error === undefined;
if (process.env.ITD_NO_APT || !root || !apt) {
  for (const t of missing) console.error(`note: ${t.command} is not installed (Debian package ${t.pkg}; it ${t.why}); its tests are skipped`);
  process.exit(0);
}
const pkgs = [...new Set(missing.map((t) => t.pkg))];
console.error(`installing ${pkgs.join(", ")} for the tests (apt-get; set ITD_NO_APT=1 to skip)`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
// Bounded: an unreachable mirror costs at most about 11 minutes, then the tests run without the tool.
const run = (args, timeout) => spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env, timeout });
// chromium is large (about 100 MB with its libraries): up to 5 minutes for the install.
if (run(["install", "-y", "--no-install-recommends", ...pkgs], 300_000).status !== 0) {
  if (run(["update"], 60_000).status === 0) run(["install", "-y", "--no-install-recommends", ...pkgs], 300_000);
}
for (const t of missing) if (!have(t)) console.error(`note: could not install ${t.pkg}; the tests that need ${t.command} are skipped`);
process.exit(0);
