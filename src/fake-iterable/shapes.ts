/**
 * Compiled record shapes: for each export type, its fields in a fixed order
 * (the catalog's, then the fake project's custom fields), how each is
 * generated, how often it is null or absent, and how it is serialized. A
 * record is an array of values aligned with `fields` (undefined = absent).
 */
import { EXPORT_DATA_TYPES, type ExportDataType } from "../iterable/types.js";
import type { Medium } from "./campaigns.js";
import { CATALOG } from "./catalog.js";
import type { RecordContext } from "./context.js";
import {
  CUSTOM_EVENT_FIELDS,
  CUSTOM_EVENT_GENS,
  CUSTOM_EVENT_OVERRIDES,
  prepareCart,
  prepareCustomEvent,
  PURCHASE_CUSTOM_FIELDS,
  PURCHASE_OVERRIDES,
  SUBSCRIBE_CUSTOM_FIELDS,
  SUBSCRIBE_OVERRIDES,
} from "./fields-custom.js";
import { EVENT_FIELDS, EVENT_OVERRIDES, type Gen } from "./fields-event.js";
import { USER_CUSTOM_FIELDS, USER_FIELDS } from "./fields-user.js";

/** Serialization kinds. */
export const K_SAFE = 0; // a string known to need no JSON escaping
export const K_STR = 1; // any string
export const K_NUM = 2; // number or boolean
export const K_JSON = 3; // object or array
export const K_ANY = 4; // any JSON value (custom fields)

export interface FieldDef {
  name: string;
  /** The catalog's type (`string?`, `integer`…); "custom" for the fake project's own fields. */
  catalogType: string;
  required: boolean;
  kind: number;
  /** Chance the field is null, and absent, before its generator runs. */
  nullP: number;
  absentP: number;
  gen: Gen;
}

export interface Shape {
  type: ExportDataType;
  typeIndex: number;
  fields: readonly FieldDef[];
  names: readonly string[];
  /** A field unique per record, usable as a key. */
  keyField: string;
  /** The field the export filters on. */
  timeField: "createdAt" | "profileUpdatedAt";
  /** Campaigns of this medium are referenced (undefined = any campaign). */
  medium: Medium | undefined;
  prepare: ((c: RecordContext) => void) | undefined;
  /** Index of campaignId in `fields`, or -1. */
  campaignIndex: number;
}

const SAFE = new Set([
  "email", "userId", "itblUserId", "messageId", "messageBusId", "espName", "ip", "userAgent", "userAgentDevice",
  "city", "region", "country", "url", "clickedUrl", "id", "inboxSessionId", "locale", "timeZone", "phoneNumber",
]);

/** Fields whose generator decides presence itself (identity, keys, conditional fields). */
const SELF_DECIDING = new Set(["email", "userId", "itblUserId", "messageId", "id", "inboxSessionId", "transactionalData", "proxySource", "eventName"]);

/** Types whose catalog entry has no unique field: the fake adds `id`. */
const ADDED_ID = new Set<ExportDataType>(["smsReceived", "emailSubscribe", "embeddedSession", "whatsAppReceived", "whatsAppSeen"]);

const NULL_P = 0.05;
const ABSENT_P = 0.05;

function mediumOf(type: string): Medium | undefined {
  if (type.startsWith("email") || type === "hostedUnsubscribeClick") return "Email";
  if (type.startsWith("push")) return "Push";
  if (type.startsWith("webPush")) return "WebPush";
  if (type.startsWith("sms")) return "SMS";
  if (type.startsWith("inApp") || type.startsWith("inbox")) return "InApp";
  return undefined;
}

function overridesOf(type: ExportDataType): Record<string, Gen> {
  switch (type) {
    case "customEvent":
      return { ...CUSTOM_EVENT_GENS, ...CUSTOM_EVENT_OVERRIDES };
    case "purchase":
      return PURCHASE_OVERRIDES;
    case "emailSubscribe":
      return SUBSCRIBE_OVERRIDES;
    case "user":
      return USER_FIELDS;
    default:
      return EVENT_OVERRIDES[type] ?? {};
  }
}

function extraFields(type: ExportDataType): readonly string[] {
  if (type === "customEvent") return CUSTOM_EVENT_FIELDS;
  if (type === "purchase") return PURCHASE_CUSTOM_FIELDS;
  if (type === "emailSubscribe") return [...SUBSCRIBE_CUSTOM_FIELDS, "id"];
  if (type === "user") return USER_CUSTOM_FIELDS;
  if (ADDED_ID.has(type)) return ["id"];
  return [];
}

function prepareOf(type: ExportDataType): ((c: RecordContext) => void) | undefined {
  if (type === "customEvent") return prepareCustomEvent;
  if (type === "purchase") return prepareCart;
  if (type === "emailUnSubscribe") return (c) => void (c.variant = c.rng.chance(0.1) ? 1 : 0);
  return undefined;
}

function kindOf(name: string, catalogType: string): number {
  const base = catalogType.replace("?", "");
  switch (base) {
    case "timestamp":
      return K_SAFE;
    case "string":
      return SAFE.has(name) ? K_SAFE : K_STR;
    case "integer":
    case "number":
    case "boolean":
      return K_NUM;
    case "object":
    case "array":
      return K_JSON;
    default:
      return K_ANY;
  }
}

/**
 * The catalog's fields that data.json leaves out: Iterable's recorded data.json
 * event rows carry no `itblInternal` (the catalog lists it because the
 * userEvents export has it); user rows keep their dotted `itblInternal.*` keys.
 */
const NOT_IN_EXPORT = new Set(["itblInternal"]);

function compile(type: ExportDataType, typeIndex: number): Shape {
  const overrides = overridesOf(type);
  const entries: [string, string][] = [
    ...Object.entries(CATALOG[type]).filter(([name]) => !NOT_IN_EXPORT.has(name)),
    ...extraFields(type).map((n): [string, string] => [n, n === "id" ? "string" : "custom"]),
  ];
  const fields = entries.map(([name, catalogType]): FieldDef => {
    const gen = overrides[name] ?? (type === "user" ? undefined : EVENT_FIELDS[name]);
    if (!gen) throw new Error(`fake-iterable: no generator for ${type}.${name}`);
    const required = !catalogType.endsWith("?") && catalogType !== "custom";
    const policed = !required && catalogType !== "custom" && !SELF_DECIDING.has(name);
    return { name, catalogType, required, kind: kindOf(name, catalogType), nullP: policed ? NULL_P : 0, absentP: policed ? ABSENT_P : 0, gen };
  });
  const names = fields.map((f) => f.name);
  const keyField = type === "user" ? "email" : type === "inboxSession" ? "inboxSessionId" : names.includes("messageId") ? "messageId" : "id";
  return {
    type,
    typeIndex,
    fields,
    names,
    keyField,
    timeField: type === "user" ? "profileUpdatedAt" : "createdAt",
    medium: mediumOf(type),
    prepare: prepareOf(type),
    campaignIndex: names.indexOf("campaignId"),
  };
}

const SHAPES = new Map<string, Shape>(EXPORT_DATA_TYPES.map((t, i) => [t, compile(t, i)]));

/** The shape of a dataTypeName (the spec's spelling, or `emailUnsubscribe`), or undefined when unknown. */
export function shapeOf(dataTypeName: string): Shape | undefined {
  return SHAPES.get(dataTypeName === "emailUnsubscribe" ? "emailUnSubscribe" : dataTypeName);
}

/** The key field of each export type (a field unique per record). */
export function keyFieldOf(dataTypeName: string): string | undefined {
  return shapeOf(dataTypeName)?.keyField;
}

/** The field names a type's records can have (the CSV header), in order. */
export function fieldsOf(dataTypeName: string): readonly string[] | undefined {
  return shapeOf(dataTypeName)?.names;
}

/** Generates one record's values into `out` (a new array by default), aligned with `shape.fields`. */
export function fillRecord(shape: Shape, c: RecordContext, out: unknown[] = new Array<unknown>(shape.fields.length)): unknown[] {
  if (shape.prepare) shape.prepare(c);
  const fields = shape.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as FieldDef;
    if (f.nullP > 0) {
      const r = c.rng.float();
      if (r < f.nullP) {
        out[i] = null;
        continue;
      }
      if (r < f.nullP + f.absentP) {
        out[i] = undefined;
        continue;
      }
    }
    out[i] = f.gen(c);
  }
  return out;
}
