/**
 * `npm run soak -- --minutes N [--seed S] [--dir DIR] [--kill-every SECONDS] [--warehouse sqlite|postgres]`:
 * the chaos soak (soak.ts). Prints progress, then the summary; exits 1 when
 * the oracle found anything wrong.
 */
import { parseArgs } from "node:util";
import { formatSummary, runSoak, soakPassed } from "./soak.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    seed: { type: "string" },
    dir: { type: "string" },
    "kill-every": { type: "string" },
    warehouse: { type: "string", default: "sqlite" },
  },
  strict: true,
});
const num = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`soak: --${flag}: expected a positive number; got "${v}"`);
    process.exit(2);
  }
  return n;
};
const minutes = num("minutes", values.minutes) as number;
if (values.warehouse !== "sqlite" && values.warehouse !== "postgres") {
  console.error(`soak: --warehouse: expected sqlite or postgres; got "${values.warehouse}"`);
  process.exit(2);
}
const seed = num("seed", values.seed);
const kill = num("kill-every", values["kill-every"]);
const summary = await runSoak({
  minutes,
  ...(seed !== undefined ? { seed } : {}),
  ...(values.dir !== undefined ? { dir: values.dir } : {}),
  ...(kill !== undefined ? { killEverySeconds: kill } : {}),
  warehouse: values.warehouse,
  log: (line) => console.log(line),
});
console.log(formatSummary(summary));
process.exit(soakPassed(summary) ? 0 : 1);
