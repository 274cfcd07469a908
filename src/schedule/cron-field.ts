/**
 * One cron field (minute, hour, …) parsed into the set of values it allows.
 * Syntax: `*`, numbers, names, lists `a,b`, ranges `a-b`, steps `*\/n`, `a-b/n`, `a/n`.
 */

export interface FieldKind {
  /** The name used in error messages. */
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Three-letter names, index = value - nameBase (case-insensitive). */
  readonly names?: readonly string[];
  readonly nameBase?: number;
  readonly nameHint?: string;
}

export const SECOND: FieldKind = { label: "second", min: 0, max: 59 };
export const MINUTE: FieldKind = { label: "minute", min: 0, max: 59 };
export const HOUR: FieldKind = { label: "hour", min: 0, max: 23 };
export const DAY_OF_MONTH: FieldKind = { label: "day-of-month", min: 1, max: 31 };
export const MONTH: FieldKind = {
  label: "month",
  min: 1,
  max: 12,
  names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  nameBase: 1,
  nameHint: "a month name (jan..dec)",
};
/** 0 and 7 are both Sunday; 7 is folded into 0 by the caller. */
export const DAY_OF_WEEK: FieldKind = {
  label: "day-of-week",
  min: 0,
  max: 7,
  names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
  nameBase: 0,
  nameHint: "a day name (sun..sat)",
};

/** Why a field was refused; the caller prefixes the pattern. */
export class FieldError extends Error {}

/** Quartz/croner extensions refused with their own message: ?, L, nL, L-n, nW, LW, n#k. */
const UNSUPPORTED = /^(\?|L|LW|L-\d+|\d+L|\d+W|\w+#\d+)$/i;

/**
 * The values a field allows, as flags indexed by value (length max + 1).
 * Throws FieldError naming the field.
 */
export function parseField(text: string, kind: FieldKind): boolean[] {
  const allowed = new Array<boolean>(kind.max + 1).fill(false);
  for (const item of text.split(",")) {
    if (item === "") throw new FieldError(`${kind.label}: empty list item in "${text}"`);
    markItem(item, kind, allowed);
  }
  return allowed;
}

function markItem(item: string, kind: FieldKind, allowed: boolean[]): void {
  const slash = item.split("/");
  if (slash.length > 2) throw new FieldError(`${kind.label}: "${item}" has more than one step`);
  const [base = "", stepText] = slash;
  const step = stepText === undefined ? 1 : parseStep(stepText, kind);
  let lo: number;
  let hi: number;
  const top = kind.max === 7 ? 6 : kind.max; // open-ended day-of-week steps stay within 0..6
  if (base === "*") {
    lo = kind.min;
    hi = top;
  } else {
    const dash = base.split("-");
    if (dash.length > 2) throw new FieldError(`${kind.label}: "${base}" is not a range`);
    lo = parseValue(dash[0] ?? "", kind);
    if (dash.length === 2) {
      hi = parseValue(dash[1] ?? "", kind);
      if (hi < lo) throw new FieldError(`${kind.label}: range ${base} goes backwards`);
    } else {
      hi = stepText === undefined ? lo : Math.max(lo, top); // a/n = a-max/n
    }
  }
  for (let v = lo; v <= hi; v += step) allowed[v] = true;
}

function parseStep(text: string, kind: FieldKind): number {
  if (!/^\d+$/.test(text)) throw new FieldError(`${kind.label}: step "${text}" is not a number`);
  const step = Number(text);
  const span = kind.max - kind.min;
  if (step < 1 || step > span) {
    throw new FieldError(`${kind.label}: step ${step} is out of range 1-${span}`);
  }
  return step;
}

function parseValue(text: string, kind: FieldKind): number {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    if (v < kind.min || v > kind.max) {
      throw new FieldError(`${kind.label}: ${v} is out of range ${kind.min}-${kind.max}`);
    }
    return v;
  }
  const lower = text.toLowerCase();
  const index = kind.names?.indexOf(lower) ?? -1;
  if (index >= 0) return index + (kind.nameBase ?? 0);
  if (text === "") throw new FieldError(`${kind.label}: missing value`);
  if (UNSUPPORTED.test(text)) {
    throw new FieldError(
      `${kind.label}: "${text}" is not supported (only *, numbers, names, lists, ranges and steps)`,
    );
  }
  const expected = kind.nameHint === undefined ? "a number" : `a number or ${kind.nameHint}`;
  throw new FieldError(`${kind.label}: "${text}" is not ${expected}`);
}
