/**
 * The load.yml schema (design §2): one zod schema per section, every field
 * with its default and `.describe()` (the reference docs can be generated
 * from them), types via z.infer. Parsing, normalisation and messages live in
 * config.ts.
 */
import { z } from "zod";
import {
  DEFAULT_RETRY,
  EXPORT_DATA_TYPES,
  type ExportDataType,
  type ExportRange,
  type RetryOptions,
  type TimeoutOptions,
} from "../iterable/types.js";
import { COLUMN_TYPES, OUT_MODES, type OutMode } from "../warehouse/types.js";
import { parseDuration } from "../config/duration.js";
import { closest } from "./config-errors.js";
import { parseRfc3339 } from "./timestamp.js";

/** Default `max_slice_records`: about 500 MB of JSON; windows aim at half. */
export const DEFAULT_MAX_SLICE_RECORDS = 1_000_000;
/** Default `max_slice_seconds`. */
export const DEFAULT_MAX_SLICE_SECONDS = 600;

/** Environment variables, for `${NAME}` references. */
export type Env = Readonly<Record<string, string | undefined>>;

export const DATA_TYPES = ["campaign", "list", "export_data"] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const DATE_RANGES = ["today", "yesterday", "before_today", "all"] as const;
export type DateRange = (typeof DATE_RANGES)[number];

const DATE_RANGE_TO_ITERABLE: Record<DateRange, ExportRange> = {
  today: "Today",
  yesterday: "Yesterday",
  before_today: "BeforeToday",
  all: "All",
};

/** A whole-string `${NAME}` reference. */
export const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const COLUMN_NAME = /^[a-z0-9_]+$/;

// ---------------------------------------------------------------------------
// Field helpers

/** Marks a custom issue whose message is the whole line (no `; got …`). */
export interface CompleteParams {
  complete: true;
}

function intField(min: number, max?: number): z.ZodInt {
  const allowed = max === undefined ? `expected an integer of at least ${min}` : `expected an integer from ${min} to ${max}`;
  const base = z.int({ error: allowed }).min(min, { error: allowed });
  return max === undefined ? base : base.max(max, { error: allowed });
}

function boolField(): z.ZodBoolean {
  return z.boolean({ error: "expected true or false" });
}

/** A positive integer written as a number or a numeric string. */
function idField(what: string) {
  const allowed = `expected ${what} (a positive integer)`;
  return z.union([z.int(), z.string()], { error: allowed }).transform((v, ctx) => {
    const n = typeof v === "number" ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (Number.isSafeInteger(n) && n > 0) return n;
    ctx.addIssue({ code: "custom", message: allowed });
    return z.NEVER;
  });
}

/** Ids as a comma-separated string, one number, or a list. Blank = none. */
function idListField(what: string) {
  const allowed = `expected ${what}: a comma-separated string or a list of positive integers`;
  return z
    .union([z.string(), z.int(), z.array(z.union([z.int(), z.string()]))], { error: allowed })
    .transform((v, ctx) => {
      const items: (string | number)[] =
        typeof v === "string" ? v.split(",").filter((s) => s.trim() !== "") : typeof v === "number" ? [v] : v;
      const out: number[] = [];
      for (const item of items) {
        const n = typeof item === "number" ? item : /^\s*\d+\s*$/.test(item) ? Number(item) : NaN;
        if (!Number.isSafeInteger(n) || n <= 0) {
          ctx.addIssue({ code: "custom", message: allowed });
          return z.NEVER;
        }
        out.push(n);
      }
      return out;
    });
}

/** Field names as a comma-separated string or a list of strings. */
function fieldListField() {
  return z
    .union([z.string(), z.array(z.string())], { error: "expected a comma-separated string or a list of field names" })
    .transform((v) => (typeof v === "string" ? v.split(",") : v).map((s) => s.trim()).filter((s) => s !== ""));
}

function instantField() {
  const allowed = "expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z";
  return z.string({ error: allowed }).transform((v, ctx) => {
    const ms = parseRfc3339(v);
    if (ms !== undefined) return ms;
    ctx.addIssue({ code: "custom", message: allowed });
    return z.NEVER;
  });
}

function timeoutField() {
  return intField(1, 86_400);
}

/** A duration (`6h`, `90m`, `2d`; 0 or `0` = none), as milliseconds; at most a year. */
function durationField() {
  const allowed = "expected a duration such as 30m, 6h or 2d (a whole number and ms, s, m, h, d or w), or 0";
  return z.union([z.number(), z.string()], { error: allowed }).transform((v, ctx) => {
    const ms = v === 0 || v === "0" ? 0 : typeof v === "string" ? parseDuration(v) : undefined;
    if (ms !== undefined && ms <= 366 * 86_400_000) return ms;
    ctx.addIssue({ code: "custom", message: ms === undefined ? allowed : "expected at most a year (366d)" });
    return z.NEVER;
  });
}

/** Column names as a list (or one comma-separated string). */
function columnListField() {
  const allowed = "expected a list of column names of [a-z0-9_]";
  return z
    .union([z.string(), z.array(z.string())], { error: allowed })
    .transform((v, ctx) => {
      const names = (typeof v === "string" ? v.split(",") : v).map((s) => s.trim()).filter((s) => s !== "");
      if (names.length > 0 && names.every((n) => COLUMN_NAME.test(n)) && new Set(names).size === names.length) return names;
      ctx.addIssue({ code: "custom", message: names.length === 0 ? allowed : `${allowed}, each once` });
      return z.NEVER;
    });
}

// ---------------------------------------------------------------------------
// in.columns

export const columnSchema = z.strictObject({
  name: z
    .string({ error: "expected a column name of [a-z0-9_]" })
    .regex(COLUMN_NAME, { error: "expected a column name of [a-z0-9_]" })
    .max(128, { error: "expected a column name of at most 128 characters" })
    .describe("Column name in the table: lowercase letters, digits and `_`, unique."),
  type: z
    .enum(COLUMN_TYPES, { error: `expected one of ${COLUMN_TYPES.join(", ")}` })
    .describe("Column type: boolean, long, double, string, timestamp or json."),
  format: z
    .string({ error: "expected a string" })
    .exactOptional()
    .describe(
      "For timestamps: the source format. Informational for strings (Iterable's forms are recognised); " +
        "`epoch_ms` or `epoch_s` says how to read numbers (default: by magnitude).",
    ),
  src: z
    .string({ error: "expected an Iterable field name" })
    .min(1, { error: "expected an Iterable field name" })
    .exactOptional()
    .describe(
      "The Iterable field this column reads. Default: the field whose TD-style name (camelCase → snake_case, " +
        "`.` → `_`) equals `name`.",
    ),
});

/** A column of `in.columns` (what `connector:guess` writes). */
export type LoadColumn = z.output<typeof columnSchema>;

// ---------------------------------------------------------------------------
// in

export const exportTypeAllowed = `expected one of Iterable's export data types: ${EXPORT_DATA_TYPES.join(", ")}`;

/** The keys of the `in` section, each with its schema, default and description. */
export const inFields = {
  type: z.literal("iterable", { error: "expected iterable" }).describe("The source of the import: `iterable`."),
  api_key: z
    .string({ error: "expected a string (the API key, or ${ENV_NAME})" })
    .min(1, { error: "expected a string (the API key, or ${ENV_NAME})" })
    .refine((v) => !v.includes("${") || ENV_REF.test(v), {
      error: "expected the API key or a whole ${ENV_NAME} reference (letters, digits, `_`)",
    })
    .describe(
      "Iterable API key (standard, server-side). `${ENV_NAME}` reads it from that environment variable; " +
        "it is never printed (shown as ***) nor logged.",
    ),
  region: z
    .enum(["us", "eu"], { error: "expected one of us, eu" })
    .default("us")
    .describe("The data center of the API key: `us` (api.iterable.com) or `eu` (api.eu.iterable.com)."),
  base_url: z
    .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
    .transform((v) => v.replace(/\/+$/, ""))
    .exactOptional()
    .describe("Overrides the region's base URL: a proxy, or itd's fake Iterable."),
  data_type: z
    .enum(DATA_TYPES, { error: `expected one of ${DATA_TYPES.join(", ")}` })
    .default("campaign")
    .describe("What to import: `campaign` (campaigns with their metrics), `list` (members of one list) or `export_data`."),
  export_data_type: z
    .string({ error: exportTypeAllowed })
    .transform((v, ctx): ExportDataType => {
      const spelled = v === "emailUnsubscribe" ? "emailUnSubscribe" : v;
      const found = EXPORT_DATA_TYPES.find((t) => t === spelled);
      if (found !== undefined) return found;
      const hint = closest(v, EXPORT_DATA_TYPES);
      ctx.addIssue({
        code: "custom",
        message: hint === undefined ? exportTypeAllowed : `${exportTypeAllowed} (did you mean ${hint}?)`,
      });
      return z.NEVER;
    })
    .exactOptional()
    .describe(
      "Required when data_type is export_data: Iterable's dataTypeName (emailSend, emailOpen, user, …). " +
        "`emailUnsubscribe` is accepted for `emailUnSubscribe`.",
    ),
  campaign_ids: idListField("campaign ids")
    .default([])
    .describe("For data_type campaign: campaign ids, comma-separated or a list. Blank imports all campaigns."),
  list_id: idField("a list id")
    .exactOptional()
    .describe("Required when data_type is list: the list whose members to import (one list per job: 5 requests/minute)."),
  prefer_user_id: boolField()
    .default(false)
    .describe("For data_type list: return the userId instead of the email when a profile has both."),
  incremental: boolField()
    .default(false)
    .describe(
      "Import only new data on each run: after a successful run, start_time becomes the end of the last window " +
        "(the config diff).",
    ),
  start_time: instantField()
    .exactOptional()
    .describe(
      "Start of the window (inclusive), RFC 3339 UTC such as 2024-01-01T08:51:00Z (fractions up to nanoseconds; " +
        "no zone means UTC). Alias: start_date. Required for export_data unless use_date_range.",
    ),
  start_date: instantField().exactOptional().describe("Alias of start_time."),
  end_time: instantField()
    .exactOptional()
    .describe(
      "End of the window (exclusive), RFC 3339 UTC. Default: now, or the scheduled time of a scheduled run. " +
        "Alias: end_date.",
    ),
  end_date: instantField().exactOptional().describe("Alias of end_time."),
  number_of_ids_for_each_request: intField(1, 20)
    .default(20)
    .describe(
      "For data_type campaign: campaign ids per metrics request, 1–20. TD's page says the default is 1; itd " +
        "defaults to the maximum because Iterable allows only 10 metrics requests per minute.",
    ),
  use_date_range: boolField()
    .default(false)
    .describe("For export_data: send Iterable's preset `date_range` instead of start_time/end_time."),
  date_range: z
    .string({ error: "expected one of today, yesterday, before_today, all" })
    .transform((v, ctx): DateRange => {
      const squashed = v.replace(/[_\s-]/g, "").toLowerCase();
      const found = DATE_RANGES.find((r) => r.replace(/_/g, "") === squashed);
      if (found !== undefined) return found;
      ctx.addIssue({ code: "custom", message: "expected one of today, yesterday, before_today, all" });
      return z.NEVER;
    })
    .default("today")
    .describe(
      "With use_date_range: today, yesterday, before_today or all (UTC days; Iterable's Today, Yesterday, " +
        "BeforeToday, All are accepted too).",
    ),
  omit_fields: fieldListField()
    .default([])
    .describe(
      "For export_data: fields to leave out of the export (comma-separated or a list). TD's page swaps the " +
        "descriptions of omit_fields and only_fields. Not with only_fields.",
    ),
  only_fields: fieldListField()
    .default([])
    .describe("For export_data: the only fields to export (comma-separated or a list). Not with omit_fields."),
  campaign_id: idField("a campaign id")
    .exactOptional()
    .describe("For export_data: only events of this campaign (e.g. emailSend of one campaign)."),
  retry_limit: intField(0)
    .default(DEFAULT_RETRY.retryLimit)
    .describe(`Retries of a failed request before the import fails (default ${DEFAULT_RETRY.retryLimit}).`),
  initial_retry_wait: intField(0)
    .default(DEFAULT_RETRY.initialRetryWait)
    .describe(`Wait before the first retry in milliseconds, doubled on each retry (default ${DEFAULT_RETRY.initialRetryWait}).`),
  max_retry_wait: intField(0)
    .default(DEFAULT_RETRY.maxRetryWait)
    .describe(`Longest wait between retries in milliseconds (default ${DEFAULT_RETRY.maxRetryWait}); at least initial_retry_wait.`),
  columns: z
    .array(columnSchema, { error: "expected a list of {name, type} columns" })
    .min(1, { error: "expected at least one column (or no columns: key, to guess them)" })
    .exactOptional()
    .describe("The table's columns, as connector:guess writes them: {name, type, format?, src?}. Names unique."),
  skip_invalid_records: boolField()
    .default(false)
    .describe("Skip (and count) records with a value that does not fit its column, instead of failing the job."),
  lookback: durationField()
    .default(0)
    .describe(
      "For incremental export_data: each run re-reads this much before its cursor (e.g. 6h) and imports only the " +
        "records not already in the table (by their de-duplication key), so events that reach Iterable late are " +
        "not lost. Default 0 (none).",
    ),
  dedup_keys: columnListField()
    .exactOptional()
    .describe(
      "The columns that tell one record from another when a lookback re-reads it (default: per export type, see " +
        "the README: message_id for sends, message_id and created_at for opens and clicks, …).",
    ),
  slice_hours: intField(1, 8760)
    .exactOptional()
    .describe(
      "For export windows: the longest slice, in hours. Slices are sized to the data (one request can carry many " +
        "days); each committed slice advances the cursor, so a failed run resumes where it stopped. Default: no bound.",
    ),
  max_slice_records: intField(1, 1_000_000_000)
    .default(DEFAULT_MAX_SLICE_RECORDS)
    .describe(
      "For export windows: a slice whose response holds more records is split before anything of it commits; " +
        `windows are sized to hold about half as many (default ${DEFAULT_MAX_SLICE_RECORDS}).`,
    ),
  max_slice_seconds: intField(1, 86_400)
    .default(DEFAULT_MAX_SLICE_SECONDS)
    .describe(
      "For export windows: a slice whose response is not complete this many seconds after its request went out " +
        `(or whose headers time out) is split before anything of it commits (default ${DEFAULT_MAX_SLICE_SECONDS}).`,
    ),
  connect_timeout: timeoutField().exactOptional().describe("Seconds to wait for a connection to Iterable."),
  response_timeout: timeoutField()
    .exactOptional()
    .describe("Seconds to wait for response headers after a request (exports can take a while to start)."),
  idle_timeout: timeoutField()
    .exactOptional()
    .describe("Seconds of silence inside a response body before the request counts as failed and is retried."),
};

/** Alternative key names of `in` (TD's page uses both). */
export const IN_KEY_ALIASES = { start_date: "start_time", end_date: "end_time" } as const;

const inObject = z.strictObject(inFields);
export type InFieldsOutput = z.output<typeof inObject>;

/** The `in` section as written (input of its schema). */
export type RawInConfig = z.input<typeof inObject>;
/** The `in` section validated, defaults applied, aliases folded into start_time/end_time (epoch ms). */
export type InConfig = Omit<InFieldsOutput, "start_date" | "end_date">;

export interface CrossProblem {
  key: string;
  allowed: string;
}

/** How much of a load.yml a reader needs. */
export interface ValidateOptions {
  /**
   * Only the connection is used (api_key, region, base_url, retries,
   * timeouts: the `iterable:*` finders), so keys that a data_type requires
   * (list_id, export_data_type, start_time) may be missing. Every key that is
   * present is still checked.
   */
  connectionOnly?: boolean;
}

/**
 * Rules between keys of `in`. `failed` keys did not validate: rules that
 * depend on them are skipped, so one mistake is reported once.
 */
export function inCrossFieldProblems(
  v: Partial<InFieldsOutput>,
  failed: ReadonlySet<string>,
  options: ValidateOptions = {},
): CrossProblem[] {
  const out: CrossProblem[] = [];
  const given = (k: keyof InFieldsOutput): boolean => v[k] !== undefined;
  const missing = (k: keyof InFieldsOutput): boolean => v[k] === undefined && !failed.has(k) && options.connectionOnly !== true;
  const dt = v.data_type;

  if (given("start_time") && given("start_date")) {
    out.push({ key: "start_date", allowed: "not allowed together with start_time (its alias): give one" });
  }
  if (given("end_time") && given("end_date")) {
    out.push({ key: "end_date", allowed: "not allowed together with end_time (its alias): give one" });
  }
  const startKey = given("start_date") ? "start_date" : "start_time";
  const endKey = given("end_date") ? "end_date" : "end_time";
  const start = v.start_time ?? v.start_date;
  const end = v.end_time ?? v.end_date;
  const startFailed = failed.has("start_time") || failed.has("start_date");

  if (dt !== undefined) {
    if (dt === "export_data" && missing("export_data_type")) {
      out.push({ key: "export_data_type", allowed: `required when data_type is export_data; ${exportTypeAllowed}` });
    }
    if (dt === "list" && missing("list_id")) {
      out.push({ key: "list_id", allowed: "required when data_type is list; expected a list id (a positive integer)" });
    }
    const only = (key: keyof InFieldsOutput, types: string, is: boolean): void => {
      if (!is) out.push({ key, allowed: `allowed only when data_type is ${types} (data_type is ${dt})` });
    };
    if (given("export_data_type")) only("export_data_type", "export_data", dt === "export_data");
    if ((v.campaign_ids?.length ?? 0) > 0) only("campaign_ids", "campaign", dt === "campaign");
    if (given("list_id")) only("list_id", "list", dt === "list");
    if (v.prefer_user_id === true) only("prefer_user_id", "list", dt === "list");
    if (v.use_date_range === true) only("use_date_range", "export_data", dt === "export_data");
    if ((v.omit_fields?.length ?? 0) > 0) only("omit_fields", "export_data", dt === "export_data");
    if ((v.only_fields?.length ?? 0) > 0) only("only_fields", "export_data", dt === "export_data");
    if (given("campaign_id")) only("campaign_id", "export_data", dt === "export_data");
    if (v.incremental === true) only("incremental", "export_data or campaign", dt !== "list");
    if ((v.lookback ?? 0) > 0) {
      only("lookback", "export_data", dt === "export_data");
      if (dt === "export_data" && v.incremental !== true && !failed.has("incremental")) {
        out.push({ key: "lookback", allowed: "allowed only with incremental: true (a lookback re-reads before the cursor)" });
      }
    }
    if (start !== undefined) only(startKey, "export_data or campaign", dt !== "list");
    if (end !== undefined) only(endKey, "export_data or campaign", dt !== "list");
  }

  if (v.use_date_range === true) {
    const why =
      "not allowed with use_date_range: true (Iterable does not say whether a range or dates win); " +
      "remove it or set use_date_range: false";
    if (start !== undefined) out.push({ key: startKey, allowed: why });
    if (end !== undefined) out.push({ key: endKey, allowed: why });
    if (v.incremental === true) {
      out.push({
        key: "incremental",
        allowed: "not allowed with use_date_range: true (incremental loads need start_time windows)",
      });
    }
  } else if (start === undefined && !startFailed && !failed.has("use_date_range") && options.connectionOnly !== true) {
    if (dt === "export_data") {
      out.push({
        key: startKey,
        allowed: "required when data_type is export_data and use_date_range is false; expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z",
      });
    } else if (v.incremental === true && dt !== "list") {
      out.push({ key: startKey, allowed: "required when incremental is true; expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z" });
    }
  }

  if (start !== undefined && end !== undefined && start >= end) {
    out.push({ key: endKey, allowed: `expected a time after ${startKey}` });
  }
  if ((v.omit_fields?.length ?? 0) > 0 && (v.only_fields?.length ?? 0) > 0) {
    out.push({ key: "only_fields", allowed: "not allowed together with omit_fields: give one of them" });
  }
  if (v.initial_retry_wait !== undefined && v.max_retry_wait !== undefined && v.initial_retry_wait > v.max_retry_wait) {
    out.push({ key: "max_retry_wait", allowed: `expected at least initial_retry_wait (${v.initial_retry_wait})` });
  }
  if (v.columns !== undefined && v.dedup_keys !== undefined) {
    const names = new Set([...v.columns.map((c) => c.name), "time"]);
    const missing = v.dedup_keys.filter((k) => !names.has(k));
    if (missing.length > 0) out.push({ key: "dedup_keys", allowed: `expected columns of in.columns (or time); ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not` });
  }
  if (v.columns !== undefined) {
    const first = new Map<string, number>();
    v.columns.forEach((c, i) => {
      const prev = first.get(c.name);
      if (prev === undefined) first.set(c.name, i);
      else out.push({ key: `columns[${i}].name`, allowed: `expected a name no other column has (columns[${prev}] has it)` });
    });
    const firstSrc = new Map<string, number>();
    v.columns.forEach((c, i) => {
      if (c.src === undefined) return;
      const prev = firstSrc.get(c.src);
      if (prev === undefined) firstSrc.set(c.src, i);
      else out.push({ key: `columns[${i}].src`, allowed: `expected a field no other column reads (columns[${prev}] reads it)` });
    });
  }
  return out;
}

export function foldAliases(v: InFieldsOutput): InConfig {
  const { start_date, end_date, ...rest } = v;
  const folded: InConfig = { ...rest };
  const start = rest.start_time ?? start_date;
  const end = rest.end_time ?? end_date;
  if (start !== undefined) folded.start_time = start;
  if (end !== undefined) folded.end_time = end;
  return folded;
}

/** The `in` section's schema (cross-field rules included). itd's parser applies it key by key to report every problem. */
export const inSectionSchema = inObject
  .superRefine((v, ctx) => {
    for (const p of inCrossFieldProblems(v, new Set())) {
      ctx.addIssue({ code: "custom", path: p.key.split(/[.[\]]+/).filter((s) => s !== ""), message: p.allowed });
    }
  })
  .transform(foldAliases);

// ---------------------------------------------------------------------------
// out, exec, filters

const MODES_TEXT = `[${OUT_MODES.join(", ")}]`;

export const outFields = {
  mode: z
    .string({ error: `expected one of ${OUT_MODES.join(", ")}` })
    .transform((m, ctx): OutMode => {
      const found = OUT_MODES.find((x) => x === m);
      if (found !== undefined) return found;
      const params: CompleteParams = { complete: true };
      ctx.addIssue({ code: "custom", message: `Unknown mode '${m}'. Supported modes are ${MODES_TEXT}`, params });
      return z.NEVER;
    })
    .default("append")
    .describe(
      "append (default): add the rows; replace: the table becomes this run's result; truncate: same, existing " +
        "columns kept; replace_on_new_data: replace only when the run brought rows; upsert: one row per " +
        "out.primary_keys, new keys added and existing rows updated (when the new version is not older).",
    ),
  primary_keys: columnListField()
    .exactOptional()
    .describe("With mode upsert: the columns that identify a row (e.g. [email], or [user_id])."),
  time_column: z
    .string({ error: "expected a column name" })
    .min(1, { error: "expected a column name" })
    .exactOptional()
    .describe("A long or timestamp column whose value becomes `time` (unix seconds). Default: the upload time."),
  type: z
    .enum(["td", "sqlite"], { error: "expected one of td, sqlite" })
    .exactOptional()
    .describe("Accepted for TD compatibility and ignored: itd writes to its warehouse."),
};

export const outSectionSchema = z.strictObject(outFields);
export type RawOutConfig = z.input<typeof outSectionSchema>;
export type OutConfig = z.output<typeof outSectionSchema>;

export const execSectionSchema = z
  .record(z.string(), z.unknown(), { error: "expected a mapping" })
  .describe("Embulk's exec settings: kept, ignored by itd.");
export const filtersSectionSchema = z
  .array(z.unknown(), { error: "expected a list" })
  .describe("Embulk filters: kept, not applied by itd (columns are renamed and `time` added by itd itself).");

// ---------------------------------------------------------------------------
// Views for other parts

/** Iterable's `range` value for `date_range`. */
export function resolveDateRange(range: DateRange): ExportRange {
  return DATE_RANGE_TO_ITERABLE[range];
}

/** The client's retry settings from `in`. */
export function retryOptionsOf(config: InConfig): RetryOptions {
  return { retryLimit: config.retry_limit, initialRetryWait: config.initial_retry_wait, maxRetryWait: config.max_retry_wait };
}

/** The client's timeouts (ms) that `in` overrides. */
export function timeoutOptionsOf(config: InConfig): Partial<TimeoutOptions> {
  const out: Partial<TimeoutOptions> = {};
  if (config.connect_timeout !== undefined) out.connect = config.connect_timeout * 1000;
  if (config.response_timeout !== undefined) out.headers = config.response_timeout * 1000;
  if (config.idle_timeout !== undefined) out.idle = config.idle_timeout * 1000;
  return out;
}
