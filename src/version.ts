import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * itd's version, from its package.json: the first one named `itd` above this
 * module (src/ when run from source, dist/src/ when built). "unknown" if none.
 */
export function itdVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "itd" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // no package.json here, or not one we can read: look further up
    }
    if (dirname(dir) === dir) return "unknown";
  }
}
