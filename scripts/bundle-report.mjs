/**
 * What a command loads at start-up, from the bundle's metafile: the chunks its
 * entry and its command module import statically, and the packages and bytes
 * in them. `node scripts/bundle-report.mjs connector-list` (a file name under
 * src/cli/commands/, without .ts); no argument: the entry alone (`itd help`).
 */
import console from "node:console";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const meta = JSON.parse(readFileSync(join(root, "dist", "bundle", "meta.json"), "utf8"));
const outputs = meta.outputs;
const command = process.argv[2];
const start = ["dist/bundle/itd.js"];
if (command !== undefined) {
  const file = `src/cli/commands/${command}.ts`;
  const found = Object.entries(outputs).find(([, o]) => o.entryPoint === file) ?? Object.entries(outputs).find(([, o]) => Object.keys(o.inputs).includes(file));
  if (found === undefined) throw new Error(`no chunk holds src/cli/commands/${command}.ts`);
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
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1])) console.log(`${String(Math.round(v / 1024)).padStart(6)} KiB  ${k}`);
