/**
 * What a command loads at start-up, from the bundle's metafile: the chunks its
 * entry and its command module import statically, and the packages and bytes
 * in them. `node scripts/bundle-report.mjs job` (a file name under
 * src/cli/commands/, without .ts); no argument: the entry alone (`itd help`).
 * test/unit/cli/startup.test.ts holds commands to what they may load.
 */
import console from "node:console";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Bytes per package (`itd` for the project's own code) that `itd <command>` loads before it runs. */
export function startupPackages(command) {
  const outputs = JSON.parse(readFileSync(join(root, "dist", "bundle", "meta.json"), "utf8")).outputs;
  const start = ["dist/bundle/itd.js"];
  if (command !== undefined) {
    const file = `src/cli/commands/${command}.ts`;
    const found = Object.entries(outputs).find(([, o]) => o.entryPoint === file) ?? Object.entries(outputs).find(([, o]) => Object.keys(o.inputs).includes(file));
    if (found === undefined) throw new Error(`no chunk holds ${file}`);
    start.push(found[0]);
  }
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of outputs[file]?.imports ?? []) if (imp.kind === "import-statement" && !imp.external) visit(imp.path);
  };
  start.forEach(visit);
  const byPackage = new Map();
  for (const file of seen) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file].inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = m ? m[1] : "itd";
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return byPackage;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [k, v] of [...startupPackages(process.argv[2])].sort((a, b) => b[1] - a[1])) console.log(`${String(Math.round(v / 1024)).padStart(6)} KiB  ${k}`);
}
