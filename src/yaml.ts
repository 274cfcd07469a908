/**
 * Limits for the YAML itd reads (load.yml, schedule files, the daemon config).
 * An alias is a reference, so js-yaml builds "billion laughs" documents and
 * self-referencing ones (`a: &a [*a]`) cheaply; they only blow up later, when
 * the document is walked, cloned, stored or printed. Files are refused first.
 */

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
