import { mkdirSync, chmodSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export interface HomeSources {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** `home:` from the daemon config file, if one was read. */
  configHome?: string | undefined;
  cwd: string;
}

/**
 * `<home>` is `--home`, else `$ITD_HOME`, else `home:` in the config file,
 * else `$XDG_DATA_HOME/itd` (`~/.local/share/itd`). Design §1.
 */
export function resolveHome(s: HomeSources): string {
  const chosen =
    s.flag ?? s.env["ITD_HOME"] ?? s.configHome ?? join(s.env["XDG_DATA_HOME"] ?? join(homedir(), ".local", "share"), "itd");
  return resolve(s.cwd, chosen);
}

/** Creates the home (mode 0700) if missing and tightens its mode if it is looser. */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const mode = statSync(home).mode & 0o777;
  if ((mode & 0o077) !== 0) chmodSync(home, 0o700);
}
