/**
 * TD-style column names (design §4): camelCase → snake_case, dotted keys →
 * `_`, lowercase `[a-z0-9_]`, no leading digit, at most 128 characters, unique.
 *
 * Called once per distinct field name; callers cache the result.
 */

/** Longest column name TD accepts (its rename filter's `unique_number_suffix` max_length). */
export const MAX_COLUMN_NAME_LENGTH = 128;

/** Already a canonical name: lowercase words of `[a-z0-9]` joined by single `_`, not starting with a digit. */
const CANONICAL = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const NON_ASCII = /[^\x00-\x7f]/; // eslint-disable-line no-control-regex
const COMBINING_MARKS = /[\u0300-\u036f]/g;
/** `fooBar` → `foo_Bar`, `v2Id` → `v2_Id`. */
const LOWER_UPPER = /([a-z0-9])([A-Z])/g;
/** `HTMLParser` → `HTML_Parser`, but a plural acronym (`IDs`, `URLs`) stays in one piece. */
const ACRONYM_WORD = /([A-Z])([A-Z](?!s(?![a-z]))[a-z])/g;
const INVALID_RUN = /[^a-z0-9_]+/g;
const UNDERSCORE_RUN = /__+/g;

/** `s` without what it ends with that is not `[a-z0-9_]` (a loop: a regex anchored at the end backtracks on long runs). */
function dropInvalidEnd(s: string): string {
  let end = s.length;
  for (; end > 0; end--) {
    const c = s.charCodeAt(end - 1);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95) break;
  }
  return end === s.length ? s : s.slice(0, end);
}

function nameOf(key: string, dropInvalidTail: boolean): string {
  if (key.length <= MAX_COLUMN_NAME_LENGTH && CANONICAL.test(key)) return key;
  let s = key;
  if (NON_ASCII.test(s)) s = s.normalize("NFKD").replace(COMBINING_MARKS, "");
  s = s.replace(LOWER_UPPER, "$1_$2").replace(ACRONYM_WORD, "$1_$2").toLowerCase();
  // Dropped rather than made `_`: `Opens (filtered)` → `opens_filtered`.
  if (dropInvalidTail) s = dropInvalidEnd(s);
  s = s.replace(INVALID_RUN, "_").replace(UNDERSCORE_RUN, "_");
  if (s.length === 0) return "_";
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57) s = "_" + s;
  return s.length > MAX_COLUMN_NAME_LENGTH ? s.slice(0, MAX_COLUMN_NAME_LENGTH) : s;
}

/**
 * The column name for one Iterable field name. Characters that cannot be in
 * a name become `_`, except at the end, where they are dropped (so a metric
 * label ending in `)` does not make a name ending in `_`).
 *
 * | field | column |
 * |---|---|
 * | `profileUpdatedAt` | `profile_updated_at` |
 * | `itblInternal.emailDomain` | `itbl_internal_email_domain` |
 * | `Total Email Opens (filtered)` | `total_email_opens_filtered` |
 * | `userIDs` | `user_ids` |
 * | `2fa` | `_2fa` |
 * | `""` | `_` |
 */
export function columnName(key: string): string {
  return nameOf(key, true);
}

/**
 * The name `columnName` gave before it dropped a name's invalid end
 * (`Purchases / M (Email)` → `purchases_m_email_`): configs guessed then name
 * their columns so, and still read these fields through it.
 */
export function legacyColumnName(key: string): string {
  return nameOf(key, false);
}

/**
 * Column names for field names, unique: each field gets `columnName(key)`
 * unless an earlier field already took it, in which case it gets the first
 * free `_2`, `_3`, … suffix. A name some later field gets naturally is never
 * used as a suffixed name, so `[a, A, a_2]` → `[a, a_3, a_2]`. Trailing `_` are
 * dropped before the suffix (`a_` → `a_2`).
 * `taken` names (e.g. existing columns) are never produced.
 */
export function uniqueNames(keys: readonly string[], taken: Iterable<string> = []): string[] {
  const bases = keys.map(columnName);
  const reserved = new Set<string>(taken);
  const external = new Set<string>(taken);
  for (const b of bases) reserved.add(b);
  const used = new Set<string>(external);
  const out: string[] = [];
  for (const base of bases) {
    if (!used.has(base)) {
      used.add(base);
      out.push(base);
      continue;
    }
    const stem = base.replace(/_+$/, ""); // `a_` + `_2` would make a run of underscores
    for (let n = 2; ; n++) {
      const suffix = `_${n}`;
      const name = stem.slice(0, MAX_COLUMN_NAME_LENGTH - suffix.length) + suffix;
      if (!used.has(name) && !reserved.has(name)) {
        used.add(name);
        out.push(name);
        break;
      }
    }
  }
  return out;
}
