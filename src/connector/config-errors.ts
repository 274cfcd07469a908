/**
 * Problems found in a load.yml, reported all at once, one line each:
 * `<file>: <key path>: <what is allowed>; got <what was found>`.
 */
import { ConfigError } from "../errors.js";

/** One problem: where (a key path such as `in.columns[2].type`; empty = the whole file) and what. */
export interface ConfigProblem {
  path: string;
  /** The rest of the line after `<file>: <path>: `. */
  message: string;
}

/** A load.yml that cannot be used; `problems` holds each line of the message. */
export class LoadConfigError extends ConfigError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "LoadConfigError";
    this.problems = problems;
  }
}

/** `load.yml: in.region: …`; a problem without a path is `load.yml: …`. */
export function problemLine(file: string, problem: ConfigProblem): string {
  return problem.path === "" ? `${file}: ${problem.message}` : `${file}: ${problem.path}: ${problem.message}`;
}

/** A key path from segments: `in.columns[2].name`; a key longer than 60 characters is cut (`abc...`). */
export function joinPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base;
  for (const s of segments) {
    if (typeof s === "number") {
      out += `[${s}]`;
      continue;
    }
    const key = String(s);
    const shown = key.length > 60 ? `${key.slice(0, 57)}...` : key;
    out += out === "" ? shown : `.${shown}`;
  }
  return out;
}

/** How a found value is shown after `got`: strings quoted and cut at 60 characters. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** Like `describeValue` but never shows the value itself (for secrets). */
export function describeSecret(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") return value.length === 0 ? "an empty string" : "a string";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    rows.push(row);
  }
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0;
  for (let j = 0; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, at(i - 2, j - 2) + 1);
      row[j] = d;
    }
  }
  return at(a.length, b.length);
}

/** The candidate closest to `word` (case and `-`/`_`/camelCase ignored), if close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string): string => s.replace(/[-_\s.]/g, "").toLowerCase();
  const w = squash(word);
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const s = squash(c);
    // the distance is at least the difference in length: skip the quadratic work for a long word
    if (Math.abs(s.length - w.length) > limit) continue;
    const d = editDistance(w, s);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
