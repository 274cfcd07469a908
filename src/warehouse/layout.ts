/**
 * Where the warehouse lives on disk and with which permissions:
 * `<home>/warehouse/<database>.db`, directories 0700, files 0600 (design §1).
 */
import fs from "node:fs";
import path from "node:path";
import { StoreError } from "../errors.js";
import { accessError } from "../home.js";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
const DB_SUFFIX = ".db";
const SIDE_FILES = ["-wal", "-shm"] as const;

export function warehouseDir(home: string): string {
  return path.join(home, "warehouse");
}

export function databaseFile(dir: string, database: string): string {
  return path.join(dir, `${database}${DB_SUFFIX}`);
}

/** Database names of the `*.db` files in the warehouse directory (unvalidated). */
export function databaseFileNames(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw accessError(`Cannot read the warehouse directory ${dir}`, dir, err, { home: path.dirname(dir), want: "read" });
  }
  return entries
    .filter((f) => f.endsWith(DB_SUFFIX))
    .map((f) => f.slice(0, -DB_SUFFIX.length))
    .sort();
}

/** Creates a directory (and missing parents) with mode 0700; existing directories are left alone. */
export function ensureDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  try {
    const first = fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    // mkdir's mode goes through the umask; set it exactly on what we created.
    for (let d = dir; first !== undefined; d = path.dirname(d)) {
      fs.chmodSync(d, DIR_MODE);
      if (d === first || d === path.dirname(d)) break;
    }
  } catch (err) {
    throw accessError(`Cannot create directory ${dir}`, dir, err, { want: "write" });
  }
}

/**
 * Creates an empty database file with mode 0600 (an empty file is a valid
 * SQLite database). Returns false when the file already exists.
 */
export function createDatabaseFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", FILE_MODE);
  } catch (err) {
    if (isErrno(err, "EEXIST")) return false;
    throw accessError(`Cannot create database file ${file}`, file, err, { home: path.dirname(path.dirname(file)), want: "write" });
  }
  fs.closeSync(fd);
  fs.chmodSync(file, FILE_MODE);
  return true;
}

/** Sets mode 0600 on the database file and its -wal/-shm files when present. */
export function secureDatabaseFiles(file: string): void {
  for (const f of [file, ...SIDE_FILES.map((s) => file + s)]) {
    try {
      const mode = fs.statSync(f).mode & 0o777;
      if (mode !== FILE_MODE) fs.chmodSync(f, FILE_MODE);
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw new StoreError(`Cannot set the mode of ${f}`, { cause: err });
    }
  }
}

/** The database file plus its write-ahead log, in bytes. */
export function databaseBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw new StoreError(`Cannot stat ${f}`, { cause: err });
    }
  }
  return total;
}

/**
 * Whether the file exists. A file that cannot be looked at (a directory on
 * its path that this user cannot enter) is an error saying so, never "absent":
 * `Database 'x' does not exist` for a permission problem sends people the wrong way.
 */
export function fileExists(file: string, what: string, home: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw accessError(what, file, err, { home, want: "read" });
  }
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}
