/**
 * itd's home: where it is (`resolveHome`), making it (`ensureHome`), and whose
 * it is. A home belongs to the user its daemon runs as (`itd` under systemd):
 * a file another user creates there (root's `sudo itd …`) is one the daemon
 * cannot open, and every run after it fails. So a command that writes refuses
 * a home another user owns, naming the user to run as, and a permission
 * problem is reported with the path at fault, its owner and mode — never as
 * "does not exist" or an unexpected error.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { StoreError } from "./errors.js";

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

/** What a command does with the home: `read` may look into another user's home (if permissions allow), `write` may not. */
export type HomeAccess = "read" | "write";

/** What a path is needed for, in access checks and messages. */
export type Want = "read" | "write" | "read-write";

/** The effective uid of this process; undefined where there is none (Windows). */
export function currentUid(): number | undefined {
  return process.geteuid?.();
}

/** The name of a uid or gid from /etc/passwd or /etc/group (`itd`), else `uid 998` / `gid 998`. */
function nameIn(file: string, id: number, kind: "uid" | "gid"): string {
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields.length > 2 && Number(fields[2]) === id && fields[2] !== "") return fields[0] as string;
    }
  } catch {
    // no such file: the number it is
  }
  return `${kind} ${id}`;
}

export function userName(uid: number): string {
  return nameIn("/etc/passwd", uid, "uid");
}

export function groupName(gid: number): string {
  return nameIn("/etc/group", gid, "gid");
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/** `owned by itd:itd, mode 0700`. */
export function ownership(st: Stats): string {
  return `owned by ${userName(st.uid)}:${groupName(st.gid)}, mode ${octal(st.mode)}`;
}

/** `itd` (this process's user), for messages. */
export function whoAmI(): string {
  const uid = currentUid();
  return uid === undefined ? "this user" : userName(uid);
}

function errno(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function can(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

const WANT_MODE: Record<Want, number> = { read: constants.R_OK, write: constants.W_OK, "read-write": constants.R_OK | constants.W_OK };
const WANT_WORDS: Record<Want, string> = { read: "readable", write: "writable", "read-write": "readable and writable" };

/** Every directory above `path`, from `/` down (`path` itself left out). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    out.unshift(d);
    if (d === dirname(d)) return out;
  }
}

/**
 * Why `path` could not be used for `want`, in words: the component at fault
 * (a directory that cannot be entered, a file where a directory should be,
 * a missing parent that cannot be created, the path itself), its owner and
 * mode, and who this process runs as. Falls back to `err`'s own message.
 */
export function explainAccess(path: string, err: unknown, want: Want = "read-write"): string {
  const me = whoAmI();
  if (errno(err) === "EROFS") return `${path} is on a read-only file system`;
  for (const dir of ancestors(path)) {
    const st = statOf(dir);
    if (st === undefined) {
      // The deepest existing directory is the one that must let us create what is missing.
      const parent = dirname(dir);
      const pst = statOf(parent);
      if (pst !== undefined && !can(parent, constants.W_OK | constants.X_OK)) return `${parent} is not writable by ${me} (${ownership(pst)}), so ${dir} cannot be created`;
      return `${dir} does not exist`;
    }
    if (!st.isDirectory()) return `${dir} is a file, not a directory`;
    if (!can(dir, constants.X_OK)) return `permission denied on the directory ${dir} (${ownership(st)}; this process runs as ${me})`;
  }
  const st = statOf(path);
  if (st === undefined) {
    const parent = dirname(path);
    const pst = statOf(parent);
    if (pst !== undefined && !can(parent, constants.W_OK | constants.X_OK)) return `${parent} is not writable by ${me} (${ownership(pst)}), so ${path} cannot be created`;
    return `${path} does not exist`;
  }
  const kind = st.isDirectory() ? "the directory " : "";
  if (!can(path, WANT_MODE[want] | (st.isDirectory() ? constants.X_OK : 0))) return `${kind}${path} is not ${WANT_WORDS[want]} by ${me} (${ownership(st)})`;
  if (errno(err) === "EEXIST" && !st.isDirectory()) return `${path} is a file, not a directory`;
  const message = err instanceof Error ? err.message : String(err);
  return message;
}

/**
 * What to do about a permission problem at `path` under `home`: run as the
 * home's owner when that is someone else; else take back a file another user
 * left in the home, or give the owner its permissions back.
 */
export function accessHints(home: string, path: string): string[] {
  const st = statOf(home);
  const uid = currentUid();
  if (st === undefined || uid === undefined) return [];
  const me = userName(uid);
  if (st.uid !== uid) return [runAsHint(home, userName(st.uid))];
  if (uid === 0) return [];
  const at = statOf(path) ?? statOf(dirname(path));
  if (at !== undefined && at.uid !== uid) {
    return [`Everything in the home must belong to ${me}, the user itd runs as here; give it back: sudo chown -R ${me}:${groupName(st.gid)} ${home}`];
  }
  return at === undefined ? [] : [`Give ${me} its permissions back: chmod u+rw${at.isDirectory() ? "x" : ""} ${statOf(path) === undefined ? dirname(path) : path}`];
}

function runAsHint(home: string, owner: string): string {
  return `Run as it: sudo -u ${owner} ITD_HOME=${home} itd …`;
}

/** A StoreError for `path` (under `home`) that could not be used: `what: why`, with what to do. */
export function accessError(what: string, path: string, err: unknown, options: { home?: string; want?: Want } = {}): StoreError {
  return new StoreError(`${what}: ${explainAccess(path, err, options.want)}`, { cause: err, hints: options.home === undefined ? [] : accessHints(options.home, path) });
}

/**
 * Refuses a home another user owns. A command that writes would leave files
 * there that the owner (the user the daemon runs as) cannot open — a
 * root-owned 0600 warehouse file fails every later run. A command that only
 * reads may read another user's home if permissions allow, but never creates
 * state.db there. A missing home is fine: whoever creates it owns it.
 */
export function assertHomeOwner(home: string, access: HomeAccess, uid: number | undefined = currentUid()): void {
  if (uid === undefined) return;
  let st: Stats;
  try {
    st = statSync(home);
  } catch (err) {
    if (errno(err) === "ENOENT") return;
    throw accessError(`cannot use the home ${home}`, home, err);
  }
  if (!st.isDirectory() || st.uid === uid) return; // ensureHome says what is wrong with a file
  if (access === "read" && existsSync(join(home, "state.db"))) return;
  const owner = userName(st.uid);
  const why =
    access === "write"
      ? `itd writes nothing into another user's home: files ${userName(uid)} made there would be unusable by ${owner}, the user its daemon runs as.`
      : `It has no state.db ${userName(uid)} can read, and itd creates nothing in another user's home.`;
  throw new StoreError(`the home ${home} belongs to user ${owner}; ${runAsHint(home, owner).replace(/^Run/, "run")}`, { hints: [why] });
}

/**
 * Creates the home (mode 0700) if missing and tightens its mode if it is
 * looser. A file where the home should be, a home that cannot be created and
 * one that is not writable are StoreErrors naming the path and why.
 */
export function ensureHome(home: string): void {
  let st = statOf(home);
  if (st === undefined) {
    try {
      mkdirSync(home, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw accessError(`cannot create the home ${home}`, home, err, { want: "write" });
    }
    st = statSync(home);
  }
  if (!st.isDirectory()) {
    throw new StoreError(`the home ${home} is not a directory (a file is there)`, {
      hints: ["The home is --home DIR, else $ITD_HOME, else home: in the itd config file, else ~/.local/share/itd."],
    });
  }
  try {
    accessSync(home, constants.W_OK | constants.X_OK);
  } catch (err) {
    const e = accessError(`the home ${home} is not writable`, home, err, { want: "write", home });
    // "the home H is not writable: the directory H is not writable by itd (…)" says it twice
    e.message = e.message.replace(`: the directory ${home} is not writable`, "");
    throw e;
  }
  if ((st.mode & 0o077) !== 0) {
    try {
      chmodSync(home, 0o700);
    } catch (err) {
      throw accessError(`cannot set mode 0700 on the home ${home}`, home, err, { want: "write", home });
    }
  }
}
