/**
 * The shared vocabulary of columns and rows between the connector (which
 * converts Iterable records) and the warehouse (which stores them).
 * Design §4.
 */

/** Embulk/TD column types. */
export const COLUMN_TYPES = ["boolean", "long", "double", "string", "timestamp", "json"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** A column of load.yml's `in.columns` (as `connector:guess` writes it). */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** For timestamps: the source format, informational (TD writes e.g. 'yyyy-MM-dd HH:mm:ss xxx'). */
  format?: string;
}

/**
 * A stored value. SQLite storage per type: boolean → 0/1, long → integer,
 * double → real, string → text, timestamp → text `YYYY-MM-DD HH:MM:SS.SSS` (UTC),
 * json → text (valid JSON). Missing/null → null.
 */
export type CellValue = number | bigint | string | null;

/**
 * One row as the sink receives it: values in the order of the load's columns,
 * followed by the `time` value (unix seconds) as the last element.
 */
export type Row = CellValue[];

/** out.mode (design §5). */
export const OUT_MODES = ["append", "replace", "truncate", "replace_on_new_data"] as const;
export type OutMode = (typeof OUT_MODES)[number];
