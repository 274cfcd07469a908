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

/** A function that replaces every occurrence of `secret` (raw or URL-encoded) in a text with `***`. */
export function makeRedactor(secret: string): Redactor {
  const forms = [...new Set([secret, encodeURIComponent(secret), encodeURI(secret)])].filter((s) => s.length > 0);
  if (secret.length < SHORT_SECRET) {
    const token = new RegExp(`(?<![A-Za-z0-9_.@-])(?:${forms.map(escapeRegExp).join("|")})(?![A-Za-z0-9_.@-])`, "g");
    return (text) => text.replace(token, REDACTED);
  }
  return (text) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}
