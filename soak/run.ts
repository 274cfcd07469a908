/**
 * `npm run soak -- --minutes N [--seed S] [--dir DIR] [--kill-every SECONDS] [--warehouse sqlite|postgres]
 * [--state sqlite|postgres] [--daemons N] [--hosts same|distinct]`: the chaos soak (soak.ts). Several daemons
 * (`--daemons 3`) share a PostgreSQL state (`--state postgres`, which brings a PostgreSQL warehouse). Prints
 * progress, then the summary; exits 1 when the oracle found anything wrong, 2 on a bad flag.
 */
import { parseArgs } from "node:util";
import { formatSummary, runSoak, soakPassed, soakTopology } from "./soak.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    seed: { type: "string" },
    dir: { type: "string" },
    "kill-every": { type: "string" },
    warehouse: { type: "string" },
    state: { type: "string", default: "sqlite" },
    daemons: { type: "string", default: "1" },
    hosts: { type: "string", default: "same" },
  },
  strict: true,
});
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};
const num = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`soak: --${flag}: expected a positive number; got "${v}"`);
  return n;
};
const oneOf = <T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined => {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) fail(`soak: --${flag}: expected ${allowed.join(" or ")}; got "${v}"`);
  return v as T;
};
const minutes = num("minutes", values.minutes) as number;
const warehouse = oneOf("warehouse", values.warehouse, ["sqlite", "postgres"] as const);
const state = oneOf("state", values.state, ["sqlite", "postgres"] as const);
const hosts = oneOf("hosts", values.hosts, ["same", "distinct"] as const);
const daemons = num("daemons", values.daemons) as number;
if (!Number.isInteger(daemons)) fail(`soak: --daemons: expected a whole number; got "${values.daemons}"`);
const topology = {
  daemons, ...(state !== undefined ? { state } : {}), ...(warehouse !== undefined ? { warehouse } : {}), ...(hosts !== undefined ? { hosts } : {}),
};
try {
  soakTopology(topology);
} catch (err) {
  fail((err as Error).message);
}
const seed = num("seed", values.seed);
const kill = num("kill-every", values["kill-every"]);
const summary = await runSoak({
  minutes,
  ...(seed !== undefined ? { seed } : {}),
  ...(values.dir !== undefined ? { dir: values.dir } : {}),
  ...(kill !== undefined ? { killEverySeconds: kill } : {}),
  ...topology,
  log: (line) => console.log(line),
});
console.log(formatSummary(summary));
process.exit(soakPassed(summary) ? 0 : 1);
