/**
 * `npm run build`, second step: bundles the CLI (bin/itd runs it) with esbuild
 * into dist/bundle/. Measured (issue 11): loading ~150 small ES modules and the
 * dependencies' hundreds more cost most of a command's start-up; one bundle
 * per entry, with each command in its own chunk (the registry imports commands
 * dynamically), loads in a fraction of that. tsc's dist/ stays what the
 * benchmarks, the soak and the demo import.
 *
 * better-sqlite3 (a native addon) and synckit (its thread's preload is a file beside it) stay outside, loaded from node_modules.
 *
 * A rebuild (an upgrade's `npm ci`) must not pull chunks from under processes
 * started from the build before — a daemon, its warm job processes, a command
 * halfway through its start — which import their command's chunk, or the
 * Iterable client's, after they start: the previous build's chunks are kept
 * (chunk names carry a hash of their content, so the two builds never clash),
 * and only older ones are removed.
 */
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// ITD_BUNDLE_OUTDIR: elsewhere (the test of this script builds into a temporary folder).
const outdir = process.env["ITD_BUNDLE_OUTDIR"] ?? join(root, "dist", "bundle");
const metaFile = join(outdir, "meta.json");
/** The files (relative to outdir) a build's metafile names, with their source maps. */
const filesOf = (meta) => new Set(Object.keys(meta.outputs).map((o) => basename(o)));
let previous = new Set();
try {
  previous = filesOf(JSON.parse(readFileSync(metaFile, "utf8")));
} catch {
  // no build before (or an unreadable one): nothing to keep
}
mkdirSync(outdir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: {
    itd: "src/cli/bin.ts",
    // Forked by `itd query` from beside the module that forks it (new URL("./query-worker.js", import.meta.url)).
    "query-worker": "src/warehouse/query-worker.ts",
    // An import's parse threads, started from beside the module that starts them (import-pool.ts).
    "import-worker": "src/connector/import-worker.ts",
    // The PostgreSQL state store's connection thread, started from beside the module that starts it (store/postgres/sync-db.ts).
    "state-pg-worker": "src/store/postgres/bridge-worker.ts",
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // No keepNames: itd's error classes set their names, and keepNames wraps every closure in a call (a cost in loops).
  sourcemap: "linked",
  // synckit starts its thread with a preload file it finds beside its own module: it must stay in node_modules.
  external: ["better-sqlite3", "synckit"],
  // The CommonJS dependencies (pino, undici, cli-table3, …) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __itdCreateRequire } from "node:module"; const require = __itdCreateRequire(import.meta.url);' },
  logLevel: "warning",
  metafile: true,
});
// What each chunk holds (to see what a command loads: `node scripts/bundle-report.mjs COMMAND`).
writeFileSync(metaFile, JSON.stringify(result.metafile));
const current = filesOf(result.metafile);
for (const name of readdirSync(outdir)) {
  if (name === "meta.json" || current.has(name) || previous.has(name)) continue;
  const file = join(outdir, name);
  if (existsSync(file)) rmSync(file, { recursive: true, force: true });
}
