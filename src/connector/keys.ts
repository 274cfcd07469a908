/**
 * Which rows are "the same record" (issue 15): the de-duplication key a
 * lookback re-read is checked by, per export data type, and the primary key
 * of an upsert. Keys are Iterable field names here, mapped to the load's
 * columns; `in.dedup_keys` and `out.primary_keys` name columns directly.
 *
 * The default keys, from the record shapes (../shared/iterable-fields.json):
 * - one-per-message events whose messageId is never null (sends,
 *   deliveries): `messageId`;
 * - events a message can have many of (opens, closes): `messageId,
 *   createdAt`, plus the link for clicks (a scanner clicks every link in one
 *   second);
 * - events whose messageId may be null (bounces, send skips, complaints,
 *   impressions, usage infos …): `messageId, createdAt, email, userId`, so
 *   two of them without a messageId are not taken for one;
 * - events without a messageId: their own id where they have one, the
 *   event's time, the user (`email`, `userId`) and what tells two of them
 *   apart (`eventName`, phone numbers, the list ids …);
 * - the user export: `email, userId, profileUpdatedAt` (one row per profile
 *   version).
 * Parts marked optional are left out when in.columns has no column for them;
 * a key part that is null matches null (a re-read record is the same
 * record), so two events alike in every key part count as one.
 */
import { ConfigError } from "../errors.js";
import { TIME_COLUMN, type ColumnSpec, type RowMatch } from "../warehouse/index.js";
import type { LoadConfig } from "./config.js";
import type { LoadColumn } from "./config-schema.js";
import { columnName, legacyColumnName } from "./naming.js";
import { timeFieldOf } from "./sources/export-data.js";

/** A key part: an Iterable field, optional when it ends in `?`. */
type KeyPart = string;

/** One per message, their messageId never null (iterable-fields.json). */
const ONE_PER_MESSAGE = ["emailSend", "pushSend", "inAppSend", "inAppSendSkip", "inAppDelivery", "smsSend", "webPushSend", "whatsAppSend"];

/** Many per message (a message is opened, closed … many times), their messageId never null. */
const MANY_PER_MESSAGE = ["emailOpen", "pushOpen", "inAppOpen", "inAppClose", "inAppDelete", "webPushClick", "embeddedReceived"];

/** A messageId that may be null: with the event's time and user, so two events without one stay two. */
const MAYBE_MESSAGE: readonly KeyPart[] = ["messageId?", "createdAt", "email?", "userId?"];

const BY_TYPE: Readonly<Record<string, readonly KeyPart[]>> = {
  // Clicks: a scanner clicks every link of a message in one second.
  emailClick: ["messageId", "createdAt", "url?", "hrefIndex?"],
  inAppClick: ["messageId", "createdAt", "clickedUrl?"],
  smsClick: ["messageId", "createdAt", "clickedUrl?"],
  embeddedClick: ["messageId", "createdAt", "embeddedButtonId?", "embeddedTargetUrl?"],
  whatsAppClick: [...MAYBE_MESSAGE, "clickedUrl?"],
  emailSubscribe: ["createdAt", "email?", "userId?", "emailListIds?", "emailListId?"],
  emailUnSubscribe: [...MAYBE_MESSAGE, "emailListIds?", "emailListId?", "channelId?"],
  purchase: ["id?", "createdAt", "email?", "userId?"],
  customEvent: ["id?", "eventName", "createdAt", "email?", "userId?"],
  inboxSession: ["inboxSessionId?", "createdAt", "email?", "userId?"],
  embeddedSession: ["session?", "createdAt", "email?", "userId?"],
  smsReceived: ["createdAt", "email?", "userId?", "fromPhoneNumber?", "toPhoneNumber?"],
  whatsAppReceived: ["replyToMessageId?", "createdAt", "email?", "userId?", "fromWhatsAppPhoneNumber?"],
  whatsAppSeen: ["seenMessageId?", "createdAt", "email?", "userId?"],
  user: ["email?", "userId?", "profileUpdatedAt"],
};

/** Anything else: by time and user. */
const ANY_EVENT: readonly KeyPart[] = ["createdAt", "email?", "userId?", "itblUserId?"];

/**
 * The default de-duplication key of an export data type, as Iterable fields
 * (`?`: left out when no column reads it). Types whose messageId may be null
 * (bounces, send skips, complaints, usage infos, impressions …) and types itd
 * does not know that carry one: messageId with the time and the user.
 */
export function defaultDedupKey(dataTypeName: string, hasMessageId: boolean): readonly KeyPart[] {
  if (ONE_PER_MESSAGE.includes(dataTypeName)) return ["messageId"];
  if (MANY_PER_MESSAGE.includes(dataTypeName)) return ["messageId", "createdAt"];
  return BY_TYPE[dataTypeName] ?? (hasMessageId ? MAYBE_MESSAGE : ANY_EVENT);
}

/** The load column that reads an Iterable field (its `src`, or its TD-style name), if any. */
export function columnForField(columns: readonly LoadColumn[], field: string): LoadColumn | undefined {
  return (
    columns.find((c) => c.src === field) ??
    columns.find((c) => c.src === undefined && c.name === field) ??
    columns.find((c) => c.src === undefined && (c.name === columnName(field) || c.name === legacyColumnName(field)))
  );
}

/** A key given as columns (dedup_keys, primary_keys): each one a column of the load, or `time`. */
function checkColumns(key: readonly string[], columns: readonly ColumnSpec[], setting: string): readonly string[] {
  const names = new Set(columns.map((c) => c.name));
  const missing = key.filter((k) => k !== TIME_COLUMN && !names.has(k));
  if (missing.length > 0) {
    throw new ConfigError(`${setting}: ${missing.join(", ")} ${missing.length === 1 ? "is not a column" : "are not columns"} of in.columns; expected some of ${[...names].join(", ")}`);
  }
  return key;
}

/**
 * The key of a type's default, as the load's columns, the record's time column first (added when the key has
 * none: the same record has the same time) — the key's index then grows at its end as new records come, instead
 * of taking them all over (a random messageId first made each commit rewrite most of the index: 2× the time).
 * Throws naming the required fields in.columns lacks.
 */
function defaultKeyColumns(config: LoadConfig, columns: readonly LoadColumn[]): string[] {
  const type = config.in.export_data_type as string;
  const parts = defaultDedupKey(type, columnForField(columns, "messageId") !== undefined);
  const out: string[] = [];
  const lacking: string[] = [];
  for (const part of parts) {
    const optional = part.endsWith("?");
    const field = optional ? part.slice(0, -1) : part;
    const column = columnForField(columns, field);
    if (column !== undefined) out.push(column.name);
    else if (!optional) lacking.push(field);
  }
  if (lacking.length > 0 || out.length === 0) {
    throw new ConfigError(
      `in.lookback: ${type}'s de-duplication key needs ${lacking.length > 0 ? lacking.join(", ") : parts.join(", ")}, which in.columns does not read; ` +
        "add the column (connector:guess writes it) or name the key in in.dedup_keys",
    );
  }
  const time = columnForField(columns, timeFieldOf(type))?.name;
  return time === undefined ? out : [time, ...out.filter((c) => c !== time)];
}

/**
 * How a load's rows meet the table's: upsert by out.primary_keys; a lookback
 * (or in.dedup_keys) skips rows whose key is present; else every row is added.
 */
export function rowMatchOf(config: LoadConfig, columns: readonly LoadColumn[]): RowMatch {
  const { in: c, out } = config;
  if (out.mode === "upsert") {
    return { kind: "upsert", key: checkColumns(out.primary_keys ?? [], columns, "out.primary_keys") };
  }
  if (out.mode !== "append") return { kind: "insert" };
  if (c.dedup_keys !== undefined && c.dedup_keys.length > 0) {
    return { kind: "skip_present", key: checkColumns(c.dedup_keys, columns, "in.dedup_keys") };
  }
  // A default key follows in.columns: a table already de-duplicated by an earlier one keeps it (its rows were checked by it).
  if (c.lookback > 0) return { kind: "skip_present", key: defaultKeyColumns(config, columns), keep: true };
  return { kind: "insert" };
}

/** Columns a row must have a value in (an upsert's key): a record without them is invalid. */
export function requiredColumnsOf(match: RowMatch): readonly string[] {
  return match.kind === "upsert" ? match.key.filter((k) => k !== TIME_COLUMN) : [];
}

/** For the job log: `de-duplicating by (message_id)`. */
export function describeMatch(match: RowMatch): string | undefined {
  if (match.kind === "skip_present") return `records already in the table skipped by their key (${match.key.join(", ")})`;
  if (match.kind === "upsert") return `one row per (${match.key.join(", ")}): new keys added, existing rows updated when newer`;
  return undefined;
}

/**
 * What guess writes in `out` (issue 15): the user export, unless the seed
 * chose a mode, becomes an upsert by email (or by user_id when the sample's
 * profiles have no email), its `time` the profile's update time — most
 * people want one row per user, not a log of profile versions. Other seeds
 * keep their mode.
 */
export function proposedOut(seed: LoadConfig, columns: readonly LoadColumn[], records: readonly Record<string, unknown>[]): Record<string, unknown> {
  const chosen = seed.raw.out.mode !== undefined;
  if (chosen || seed.in.data_type !== "export_data" || seed.in.export_data_type !== "user") return { mode: seed.out.mode };
  const everyone = (field: string): boolean => records.length > 0 && records.every((r) => r[field] !== null && r[field] !== undefined && r[field] !== "");
  const field = everyone("email") ? "email" : everyone("userId") ? "userId" : undefined;
  const column = field === undefined ? undefined : columnForField(columns, field);
  if (column === undefined) return { mode: seed.out.mode };
  // The newest version wins by `time`: a profile's update time, not the import's (a replay would win otherwise).
  const updated = seed.out.time_column ?? columnForField(columns, "profileUpdatedAt")?.name;
  return { mode: "upsert", primary_keys: [column.name], ...(updated === undefined ? {} : { time_column: updated }) };
}
