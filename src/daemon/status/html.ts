/**
 * HTML built by one tagged template that escapes every value put into it:
 * schedule names, log lines, errors and cursors are user data, and the only
 * way to put markup into a page is another `html` fragment (a Safe). Pure.
 */

/** Markup already made safe: an `html` fragment. */
export class Safe {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for an element's content or a quoted attribute: `& < > " '` escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function piece(value: unknown): string {
  if (value instanceof Safe) return value.text;
  if (value === null || value === undefined || value === false) return "";
  if (Array.isArray(value)) return value.map(piece).join("");
  return escapeHtml(String(value));
}

/** `html\`<td>${name}</td>\``: strings (and numbers) escaped, Safe fragments and arrays of them kept. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + (strings[i + 1] ?? "");
  return new Safe(out);
}

/** Trusted markup (constants of this folder: CSS, script, SVG built from numbers). Never user data. */
export function raw(text: string): Safe {
  return new Safe(text);
}

/** A URL's query string from parameters (undefined and "" left out), `?a=1&b=x` or "". */
export function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const parts = Object.entries(params)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}
