/**
 * The rows of `iterable:lists` and `iterable:campaigns`: pure functions of
 * what Iterable answered. Iterable's objects are not checked field by field
 * (the client only checks each is a JSON object), so a missing or oddly typed
 * field shows as blank or as its JSON rather than breaking the listing.
 */
import type { Campaign, IterableList } from "../iterable/index.js";
import { formatTdTime } from "./format-time.js";
import type { Cell } from "./output.js";

export const LIST_HEADERS = ["ID", "Name", "Type", "Created", "Description"] as const;
export const CAMPAIGN_HEADERS = ["ID", "Name", "Type", "Medium", "State", "Created"] as const;

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

/** Iterable's epoch-ms dates as the other commands print times (UTC). */
function time(v: unknown): Cell {
  return typeof v === "number" && Number.isFinite(v) ? formatTdTime(v) : cell(v);
}

/** Numeric ids ascending (1) or descending (-1); anything else after them, in the order it came. */
function compareIds(a: unknown, b: unknown, order: 1 | -1): number {
  const x = typeof a === "number" && Number.isFinite(a) ? a : undefined;
  const y = typeof b === "number" && Number.isFinite(b) ? b : undefined;
  if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0);
  return order * (x - y);
}

/** One row per list, sorted by id. */
export function listRows(lists: readonly IterableList[]): Cell[][] {
  return [...lists].sort((a, b) => compareIds(a.id, b.id, 1)).map((l) => [cell(l.id), cell(l.name), cell(l.listType), time(l.createdAt), cell(l.description)]);
}

/** A campaign's row (kept instead of the whole campaign while pages stream in). */
export function campaignRow(c: Campaign): { id: unknown; cells: Cell[] } {
  return { id: c.id, cells: [cell(c.id), cell(c.name), cell(c.type), cell(c.messageMedium), cell(c.campaignState), time(c.createdAt)] };
}

/** Campaign rows by id, descending (normally newest first: ids grow as campaigns are created); at most `limit`. */
export function newestFirst(rows: readonly { id: unknown; cells: Cell[] }[], limit?: number): Cell[][] {
  const sorted = [...rows].sort((a, b) => compareIds(a.id, b.id, -1));
  return (limit === undefined ? sorted : sorted.slice(0, limit)).map((r) => r.cells);
}
