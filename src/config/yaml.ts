/**
 * The one YAML reader of the files itd reads (load.yml, schedule files, the
 * config file, a --config-diff), and its limits.
 * An alias is a reference, so js-yaml builds "billion laughs" documents and
 * self-referencing ones (`a: &a [*a]`) cheaply; they only blow up later, when
 * the document is walked, cloned, stored or printed. Files are refused first.
 */

import { loadAll, YAMLException } from "js-yaml";

/** Options for js-yaml's `load`: real configs need few aliases, if any. */
export const YAML_LIMITS = { maxAliases: 100 } as const;

/** Values a document may hold once its aliases are expanded. */
export const MAX_EXPANDED_VALUES = 1_000_000;

/**
 * Why the document, with its aliases expanded, is too big to use, or undefined
 * when it is fine. The walk stops at the limit, so it is cheap for any input.
 */
export function aliasExpansionProblem(doc: unknown, limit = MAX_EXPANDED_VALUES): string | undefined {
  let count = 0;
  const ancestors = new Set<object>();
  // depth-first without recursion; `leave` entries take a collection off the ancestor path
  const stack: { value: unknown; leave: boolean }[] = [{ value: doc, leave: false }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const { value, leave } = entry;
    if (typeof value !== "object" || value === null) {
      if (!leave) count++;
      if (count > limit) return tooMany(limit);
      continue;
    }
    if (leave) {
      ancestors.delete(value);
      continue;
    }
    if (ancestors.has(value)) return "an alias refers to a collection that contains it (a cycle)";
    if (++count > limit) return tooMany(limit);
    ancestors.add(value);
    stack.push({ value, leave: true });
    for (const child of Object.values(value)) stack.push({ value: child, leave: false });
  }
  return undefined;
}

function tooMany(limit: number): string {
  return `aliases expand to more than ${limit.toLocaleString("en-US")} values; write them out or use fewer aliases`;
}

/** A file that is not one readable YAML (or JSON) document; the message starts with the file's name. */
export class YamlError extends Error {
  override readonly name = "YamlError";
}

/**
 * Parses a file's text as one YAML 1.2 (or JSON) document, within the alias
 * limits. An empty text (or comments only) is `undefined`. Errors say
 * `FILE:LINE:COLUMN: reason` — never a snippet of the text, which could show
 * a secret.
 */
export function readYaml(text: string, fileName: string): unknown {
  let docs: unknown[];
  try {
    docs = loadAll(text, { filename: fileName, ...YAML_LIMITS });
  } catch (err) {
    if (err instanceof YAMLException) {
      const where = err.mark === undefined ? "" : `:${err.mark.line + 1}:${err.mark.column + 1}`;
      throw new YamlError(`${fileName}${where}: ${err.reason}`, { cause: err });
    }
    throw new YamlError(`${fileName}: cannot be read as YAML or JSON`, { cause: err });
  }
  if (docs.length > 1) throw new YamlError(`${fileName}: expected one YAML document; got ${docs.length}`);
  const tooBig = aliasExpansionProblem(docs[0]);
  if (tooBig !== undefined) throw new YamlError(`${fileName}: ${tooBig}`);
  return docs[0];
}
