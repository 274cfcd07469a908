/**
 * A rebuild (an upgrade's `npm ci`) keeps the chunks of the build before it:
 * a daemon, its warm job processes or a command started from that build
 * still import their chunks after it (the soak once failed with "Cannot find
 * module …/chunk-….js" while a demo rebuilt). Older ones go.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..", "..");

function build(outdir: string): void {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs")], { env: { ...process.env, ITD_BUNDLE_OUTDIR: outdir }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
}

describe("scripts/bundle.mjs", () => {
  it("keeps the previous build's chunks through a rebuild and removes older ones", { timeout: 60_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), "itd-bundle-"));
    build(outdir);
    expect(existsSync(join(outdir, "itd.js"))).toBe(true);
    // As if the build before had a chunk this one does not make, and an even older build left one behind.
    const meta = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8")) as { outputs: Record<string, unknown> };
    meta.outputs["dist/bundle/chunk-PREVIOUS.js"] = { imports: [], inputs: {} };
    writeFileSync(join(outdir, "meta.json"), JSON.stringify(meta));
    writeFileSync(join(outdir, "chunk-PREVIOUS.js"), "export {};\n");
    writeFileSync(join(outdir, "chunk-OLDER.js"), "export {};\n");

    build(outdir);
    expect(existsSync(join(outdir, "chunk-PREVIOUS.js"))).toBe(true);
    expect(existsSync(join(outdir, "chunk-OLDER.js"))).toBe(false);
    expect(existsSync(join(outdir, "itd.js"))).toBe(true);

    build(outdir); // now two builds later: it goes
    expect(existsSync(join(outdir, "chunk-PREVIOUS.js"))).toBe(false);
  });
});
