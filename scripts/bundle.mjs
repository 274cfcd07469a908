/**
 * `npm run build`, second step: bundles the CLI (bin/itd runs it) with esbuild
 * into dist/bundle/. Measured (issue 11): loading ~150 small ES modules and the
 * dependencies' hundreds more cost most of a command's start-up; one bundle
 * per entry, with each command in its own chunk (the registry imports commands
 * dynamically), loads in a fraction of that. tsc's dist/ stays what the
 * benchmarks, the soak and the demo import.
 *
 * better-sqlite3 stays outside (a native addon, loaded from node_modules).
 */
import { build } from "esbuild";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: {
    itd: "src/cli/bin.ts",
    // Forked by `itd query` from beside the module that forks it (new URL("./query-worker.js", import.meta.url)).
    "query-worker": "src/warehouse/query-worker.ts",
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // No keepNames: itd's error classes set their names, and keepNames wraps every closure in a call (a cost in loops).
  sourcemap: "linked",
  external: ["better-sqlite3"],
  // The CommonJS dependencies (pino, undici, cli-table3, …) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __itdCreateRequire } from "node:module"; const require = __itdCreateRequire(import.meta.url);' },
  logLevel: "warning",
  metafile: true,
});
// What each chunk holds (to see what a command loads: `node scripts/bundle-report.mjs COMMAND`).
writeFileSync(join(outdir, "meta.json"), JSON.stringify(result.metafile));
