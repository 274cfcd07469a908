/**
 * TD's "compact" YAML (td lib/td/compact_format_yamler.rb): mappings whose
 * values are all strings or numbers in flow form (`- {name: id, type: long}`),
 * everything else in block form, lists at their key's indentation (Psych's
 * layout). Strings are quoted whenever YAML 1.1 or 1.2 would read them as
 * something else, so the output reads back the same in Ruby and in js-yaml.
 */

type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Compact YAML of a JSON-like value whose top level is a mapping. */
export function toCompactYaml(doc: object): string {
  const lines: string[] = [];
  emitMapping(doc as Mapping, 0, lines);
  return lines.join("\n") + "\n";
}

function isFlowable(m: Mapping): boolean {
  return Object.values(m).every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)));
}

function emitMapping(m: Mapping, indent: number, lines: string[]): void {
  const pad = " ".repeat(indent);
  for (const [k, v] of Object.entries(m)) {
    const key = yamlScalar(k, false);
    if (isMapping(v)) {
      if (Object.keys(v).length === 0 || isFlowable(v)) lines.push(`${pad}${key}: ${flowMapping(v)}`);
      else {
        lines.push(`${pad}${key}:`);
        emitMapping(v, indent + 2, lines);
      }
    } else if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`${pad}${key}: []`);
      else {
        lines.push(`${pad}${key}:`);
        emitSequence(v, indent, lines);
      }
    } else {
      lines.push(`${pad}${key}: ${yamlScalar(v, false)}`);
    }
  }
}

function emitSequence(items: readonly unknown[], indent: number, lines: string[]): void {
  const pad = " ".repeat(indent);
  for (const item of items) {
    if (isMapping(item) && Object.keys(item).length > 0 && !isFlowable(item)) {
      const start = lines.length;
      emitMapping(item, indent + 2, lines);
      lines[start] = `${pad}- ${(lines[start] ?? "").slice(indent + 2)}`;
    } else if (Array.isArray(item) && item.length > 0) {
      const start = lines.length;
      emitSequence(item, indent + 2, lines);
      lines[start] = `${pad}- ${(lines[start] ?? "").slice(indent + 2)}`;
    } else if (isMapping(item)) {
      lines.push(`${pad}- ${flowMapping(item)}`);
    } else if (Array.isArray(item)) {
      lines.push(`${pad}- []`);
    } else {
      lines.push(`${pad}- ${yamlScalar(item, false)}`);
    }
  }
}

function flowMapping(m: Mapping): string {
  const parts = Object.entries(m).map(([k, v]) => `${yamlScalar(k, true)}: ${yamlScalar(v, true)}`);
  return `{${parts.join(", ")}}`;
}

/** Plain scalars YAML 1.1 or 1.2 would read as something other than a string. */
const NON_STRING_PLAIN =
  /^(?:~|null|Null|NULL|y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7]+|0b[01_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?)$/;

function yamlScalar(v: unknown, flow: boolean): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : v > 0 ? ".inf" : v < 0 ? "-.inf" : ".nan";
  if (typeof v === "bigint") return v.toString();
  if (typeof v !== "string") return JSON.stringify(v) ?? "null";
  if (v === "") return "''";
  // control characters, line breaks, or a leading non-word character (Psych's rule): double quotes, JSON escapes
  if (/[\x00-\x1f\x7f\u0085\u2028\u2029]/.test(v) || /^[^\p{L}\p{N}_]/u.test(v)) return JSON.stringify(v); // eslint-disable-line no-control-regex
  const quote = (): string => `'${v.replace(/'/g, "''")}'`;
  // Psych (YAML 1.1) also reads digits with `,` or `:` as numbers (`1,2,3` → 123)
  if (NON_STRING_PLAIN.test(v) || /^[-+]?[0-9.][0-9_,.:eE+-]*$/.test(v)) return quote();
  if (/\s$/.test(v) || /: |:$| #/.test(v)) return quote();
  if (flow && /[,[\]{}:#]/.test(v)) return quote();
  return v;
}
