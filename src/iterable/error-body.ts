/**
 * Iterable's error bodies, read defensively: usually `{msg, code, params}`,
 * sometimes HTML from a proxy or plain text, sometimes with `code:"Success"`.
 */

/** Longest excerpt of a non-JSON body kept in an error. */
export const EXCERPT_CHARS = 200;

export interface ErrorBody {
  /** Iterable's `code`, when the body is its JSON shape. */
  code: string | undefined;
  /** Iterable's `msg`, or a short excerpt of whatever else came back. */
  msg: string;
}

/** Collapses whitespace and cuts a text to `max` characters (with an ellipsis when cut). */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`;
}

function htmlText(html: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  if (title !== undefined && title.trim() !== "") return title;
  return html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, " ").replace(/<[^>]*>/g, " ");
}

/** Reads an error body whatever its shape; never throws. */
export function parseErrorBody(text: string): ErrorBody {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === "object" && parsed !== null) {
        const { msg, code } = parsed as { msg?: unknown; code?: unknown };
        const codeText = typeof code === "string" && code !== "" && code !== "Success" ? code : undefined;
        if (typeof msg === "string") return { code: codeText, msg: excerpt(msg) };
        return { code: codeText, msg: excerpt(trimmed) };
      }
    } catch {
      // not JSON after all: fall through to the excerpt
    }
  }
  if (/^<(!doctype|html|\?xml)|<body[\s>]/i.test(trimmed)) return { code: undefined, msg: excerpt(htmlText(trimmed)) };
  return { code: undefined, msg: excerpt(trimmed) };
}
