/**
 * What a load does by its mode, the same for both engines (design §5). Pure.
 */
import { ConfigError, ItdError } from "../errors.js";
import { TIME_COLUMN } from "./schema.js";
import { OUT_MODES, type BeginLoadOptions, type OutMode } from "./types.js";

/** replace, truncate and replace_on_new_data write into a staging table that `finish()` swaps in. */
export const usesStaging = (mode: OutMode): boolean => mode !== "append" && mode !== "upsert";

/** append and upsert commit each slice into the table itself, visible at once, with its ledger row. */
export const writesInPlace = (mode: OutMode): boolean => !usesStaging(mode);

/** Whether `finish()` replaces the table's rows: always, except replace_on_new_data with no rows. */
export const replacesTable = (mode: OutMode, rows: number): boolean => usesStaging(mode) && (mode !== "replace_on_new_data" || rows > 0);

/** A load does one slice at a time, and finishes with none open. */
export function sliceStillOpen(sliceId: string, then: "first" | "before finish()"): ItdError {
  return new ItdError("internal", `Slice '${sliceId}' is still open; commit or roll it back ${then}`);
}

/**
 * A load's mode and key agree (issue 15): upsert has an upsert key, a key only
 * with append (skip_present) or upsert, its columns the load's (or `time`).
 */
export function checkLoadMode(options: Pick<BeginLoadOptions, "mode" | "match" | "columns">): void {
  const { mode, match } = options;
  if (!(OUT_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`Unknown mode '${String(mode)}'. Supported modes are [${OUT_MODES.join(", ")}]`);
  }
  const kind = match?.kind ?? "insert";
  if (mode === "upsert" && kind !== "upsert") throw new ConfigError("Mode upsert needs its primary keys (out.primary_keys)");
  if (kind === "upsert" && mode !== "upsert") throw new ConfigError(`Primary keys are for mode upsert, not ${mode}`);
  if (kind === "skip_present" && mode !== "append") throw new ConfigError(`De-duplication keys are for mode append, not ${mode}`);
  if (match !== undefined && match.kind !== "insert") {
    const names = new Set([TIME_COLUMN, ...options.columns.map((c) => c.name)]);
    const unknown = match.key.filter((k) => !names.has(k));
    if (match.key.length === 0 || unknown.length > 0) {
      throw new ConfigError(`A key must name columns of the load; ${match.key.length === 0 ? "got none" : `${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not`}`);
    }
  }
}
