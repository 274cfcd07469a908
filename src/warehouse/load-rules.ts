/**
 * What a load does by its mode, the same for both engines (design §5). Pure.
 */
import { ItdError } from "../errors.js";
import type { OutMode } from "./types.js";

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
