/**
 * Secrecy: the API key must never leave the client in text. Anything a server
 * echoes back (an error body repeating the request's headers or URL) and
 * anything built from it passes through a redactor first.
 */

export const REDACTED = "***";

/** Keys shorter than this are redacted only as whole tokens (a one-letter test key must not garble every message). */
export const SHORT_SECRET = 8;

export type Redactor = (text: string) => string;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `n` in hex, `width` digits, each letter matching either case. */
function hexPattern(n: number, width: number): string {
  return n
    .toString(16)
    .padStart(width, "0")
    .replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);
}

/**
 * One character of the secret as a text may carry it: itself, JSON-escaped
 * (`\u002f`, `\/`: a body is redacted before it is parsed, and parsing would
 * turn these back into the key) or percent-encoded (`%2F`, `%2f`).
 */
function charPattern(ch: string): string {
  const alts = [escapeRegExp(ch)];
  alts.push(Array.from({ length: ch.length }, (_, i) => `\\\\u${hexPattern(ch.charCodeAt(i), 4)}`).join(""));
  const jsonShort = JSON.stringify(ch).slice(1, -1);
  if (jsonShort !== ch) alts.push(escapeRegExp(jsonShort));
  if (ch === "/") alts.push("\\\\/");
  alts.push(Array.from(new TextEncoder().encode(ch), (b) => `%${hexPattern(b, 2)}`).join(""));
  return `(?:${alts.join("|")})`;
}

/**
 * A function that replaces every occurrence of `secret` in a text with `***`:
 * raw, URL-encoded or JSON-escaped, wholly or character by character.
 */
export function makeRedactor(secret: string): Redactor {
  if (secret === "") return (text) => text;
  const body = Array.from(secret, charPattern).join("");
  const source = secret.length < SHORT_SECRET ? `(?<![A-Za-z0-9_.@-])${body}(?![A-Za-z0-9_.@-])` : body;
  const pattern = new RegExp(source, "g");
  return (text) => text.replace(pattern, REDACTED);
}
