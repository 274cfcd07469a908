/**
 * load.yml: TD's normalisation, validation against config-schema.ts, `${ENV}`
 * resolution, config-diff merging and TD's compact YAML output.
 * Design §2; td-connector.md §0, §3, §4.
 *
 * Pure except `readLoadConfigFile`. Every problem of a file is reported at
 * once, one line each (see config-errors.ts); the API key's value never
 * appears in a message.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { readYaml, YamlError } from "../config/yaml.js";
import { toCompactYaml } from "./compact-yaml.js";
import {
  closest,
  describeSecret,
  describeValue,
  joinPath,
  LoadConfigError,
  problemLine,
  type ConfigProblem,
} from "./config-errors.js";
import {
  ENV_REF,
  execSectionSchema,
  filtersSectionSchema,
  foldAliases,
  IN_KEY_ALIASES,
  inCrossFieldProblems,
  inFields,
  outFields,
  type CompleteParams,
  type Env,
  type InConfig,
  type InFieldsOutput,
  type OutConfig,
  type RawInConfig,
  type RawOutConfig,
  type ValidateOptions,
} from "./config-schema.js";

// ---------------------------------------------------------------------------
// The whole file

/** The file as written, normalised to TD's four sections (nulls dropped, api_key unresolved). */
export interface RawLoadConfig {
  in: RawInConfig;
  out: RawOutConfig;
  exec: Record<string, unknown>;
  filters: unknown[];
}

/** A validated load.yml: `in.api_key` holds the resolved key. */
export interface LoadConfig {
  in: InConfig;
  out: OutConfig;
  exec: Record<string, unknown>;
  filters: unknown[];
  /** The name used in messages (the file path as given). */
  source: string;
  /** The document as written, for `serializeLoadConfig` and `mergeConfigDiff`. */
  raw: RawLoadConfig;
  /** The variable `in.api_key` named, when it was `${NAME}`. */
  apiKeyEnv?: string;
}

const SECTIONS = ["in", "out", "exec", "filters"] as const;

type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function dropNulls(m: Mapping): Mapping {
  const out: Mapping = {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

const fieldSchemaCache = new WeakMap<z.ZodType, z.ZodType>();

/** `{[key]: schema}`, so that a missing key gets the field's default and issues carry the key in their path. */
function singleFieldSchema(key: string, schema: z.ZodType): z.ZodType {
  let s = fieldSchemaCache.get(schema);
  if (s === undefined) {
    s = z.object({ [key]: schema });
    fieldSchemaCache.set(schema, s);
  }
  return s;
}

/** Fallback wording for issues without their own message. */
function allowedFor(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected === "object" ? "a mapping" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join(", ")}`;
    case "unrecognized_keys":
      return "unknown key";
    default:
      return "invalid value";
  }
}

interface Collector {
  problems: ConfigProblem[];
}

/** Validates `section` key by key against `fields`; returns the parsed values and the keys that failed. */
function validateFields(
  section: Mapping,
  fields: Record<string, z.ZodType>,
  prefix: string,
  c: Collector,
  secretKeys: ReadonlySet<string>,
): { values: Mapping; failed: Set<string> } {
  const allowedKeys = Object.keys(fields);
  const values: Mapping = {};
  const failed = new Set<string>();
  for (const key of Object.keys(section)) {
    if (!Object.hasOwn(fields, key)) {
      const hint = closest(key, allowedKeys);
      c.problems.push({
        path: joinPath(prefix, [key]),
        message: `unknown key${hint === undefined ? "" : ` (did you mean ${hint}?)`}; allowed keys: ${allowedKeys.join(", ")}`,
      });
    }
  }
  for (const [key, schema] of Object.entries(fields)) {
    const input = Object.hasOwn(section, key) ? { [key]: section[key] } : {};
    const r = singleFieldSchema(key, schema).safeParse(input, { error: (iss) => allowedFor(iss) });
    if (r.success) {
      const v = (r.data as Mapping)[key];
      if (v !== undefined) values[key] = v;
      continue;
    }
    failed.add(key);
    for (const issue of r.error.issues) {
      const found = valueAt(section, issue.path);
      const complete = issue.code === "custom" && (issue.params as Partial<CompleteParams> | undefined)?.complete === true;
      const got = secretKeys.has(key) ? describeSecret(found) : describeValue(found);
      c.problems.push({
        path: joinPath(prefix, issue.path),
        message: complete ? issue.message : `${issue.message}; got ${got}`,
      });
    }
  }
  return { values, failed };
}

interface Located {
  doc: Mapping;
  /** Key path of each section as written: `in`, `config.in`, or `` when the file is the in section. */
  paths: Record<(typeof SECTIONS)[number], string>;
}

/** TD's normalisation (connector_config_normalizer.rb), stricter about stray keys. */
function locateSections(doc: unknown, prefix: string, c: Collector): Located | undefined {
  if (!isMapping(doc)) {
    c.problems.push({
      path: prefix,
      message: `expected a mapping with in:, out:, exec:, filters:; got ${describeValue(doc)}`,
    });
    return undefined;
  }
  const at = (k: string): string => joinPath(prefix, [k]);
  if (Object.hasOwn(doc, "in")) {
    for (const k of Object.keys(doc)) {
      if (!(SECTIONS as readonly string[]).includes(k)) {
        const hint = closest(k, SECTIONS);
        c.problems.push({
          path: at(k),
          message: `unknown top-level key${hint === undefined ? "" : ` (did you mean ${hint}?)`}; allowed: in, out, exec, filters`,
        });
      }
    }
    return {
      doc: { in: doc.in ?? {}, out: doc.out ?? {}, exec: doc.exec ?? {}, filters: doc.filters ?? [] },
      paths: { in: at("in"), out: at("out"), exec: at("exec"), filters: at("filters") },
    };
  }
  if (Object.hasOwn(doc, "config")) {
    const others = Object.keys(doc).filter((k) => k !== "config");
    if (others.length > 0) {
      c.problems.push({
        path: at("config"),
        message: `expected as the only top-level key (its content is the configuration); got it next to ${others.join(", ")}`,
      });
      return undefined;
    }
    return locateSections(doc.config, at("config"), c);
  }
  return {
    doc: { in: doc, out: {}, exec: {}, filters: [] },
    paths: { in: prefix, out: at("out"), exec: at("exec"), filters: at("filters") },
  };
}

/** Rules between in and out (issue 15): lookback, dedup_keys, mode upsert and primary_keys. */
function keyProblems(i: InConfig, o: OutConfig): { section: "in" | "out"; key: string; allowed: string }[] {
  const out: { section: "in" | "out"; key: string; allowed: string }[] = [];
  const inPlace = o.mode === "append" || o.mode === "upsert";
  if (i.lookback > 0 && !inPlace) {
    out.push({ section: "in", key: "lookback", allowed: `allowed only with out.mode append or upsert (mode ${o.mode} re-reads everything anyway)` });
  }
  if (i.dedup_keys !== undefined && o.mode !== "append") {
    out.push({ section: "in", key: "dedup_keys", allowed: `allowed only with out.mode append${o.mode === "upsert" ? " (upsert matches rows by out.primary_keys)" : ""}` });
  }
  if (o.mode === "upsert" && o.primary_keys === undefined) {
    out.push({ section: "out", key: "primary_keys", allowed: "required when mode is upsert: expected the columns that identify a row, e.g. [email]" });
  }
  if (o.primary_keys !== undefined) {
    if (o.mode !== "upsert") out.push({ section: "out", key: "primary_keys", allowed: `allowed only with mode: upsert (mode is ${o.mode})` });
    else if (i.columns !== undefined) {
      const names = new Set([...i.columns.map((c) => c.name), "time"]);
      const missing = o.primary_keys.filter((k) => !names.has(k));
      if (missing.length > 0) {
        out.push({ section: "out", key: "primary_keys", allowed: `expected columns of in.columns (or time); ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not` });
      }
    }
  }
  return out;
}

const IN_SECRET_KEYS = new Set(["api_key"]);
const NO_SECRETS = new Set<string>();

/** Validates a parsed document (any YAML/JSON value). Throws LoadConfigError with every problem. */
export function validateLoadConfig(doc: unknown, fileName: string, env: Env, options: ValidateOptions = {}): LoadConfig {
  const c: Collector = { problems: [] };
  const fail = (): never => {
    throw new LoadConfigError(c.problems.map((p) => problemLine(fileName, p)));
  };
  const located = locateSections(doc, "", c);
  if (located === undefined) return fail();
  const { paths } = located;

  const sectionMapping = (name: "in" | "out", v: unknown): Mapping | undefined => {
    if (isMapping(v)) return dropNulls(v);
    c.problems.push({ path: paths[name], message: `expected a mapping; got ${describeValue(v)}` });
    return undefined;
  };
  const rawIn = sectionMapping("in", located.doc.in);
  const rawOut = sectionMapping("out", located.doc.out);
  const execResult = execSectionSchema.safeParse(located.doc.exec);
  const exec: Mapping = execResult.success ? execResult.data : {};
  if (!execResult.success) {
    c.problems.push({ path: paths.exec, message: `expected a mapping; got ${describeValue(located.doc.exec)}` });
  }
  const filtersResult = filtersSectionSchema.safeParse(located.doc.filters);
  const filters: unknown[] = filtersResult.success ? filtersResult.data : [];
  if (!filtersResult.success) {
    c.problems.push({ path: paths.filters, message: `expected a list; got ${describeValue(located.doc.filters)}` });
  }

  let inConfig: InConfig | undefined;
  let apiKeyEnv: string | undefined;
  if (rawIn !== undefined) {
    if (Array.isArray(rawIn.columns)) {
      rawIn.columns = rawIn.columns.map((col: unknown) => (isMapping(col) ? dropNulls(col) : col));
    }
    const { values, failed } = validateFields(rawIn, inFields, paths.in, c, IN_SECRET_KEYS);
    const parsed = values as Partial<InFieldsOutput>;
    for (const p of inCrossFieldProblems(parsed, failed, options)) {
      const segments = p.key.split(/[.[\]]+/).filter((s) => s !== "").map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      c.problems.push({
        path: joinPath(paths.in, segments),
        message: `${p.allowed}; got ${describeValue(valueAt(rawIn, segments))}`,
      });
    }
    if (parsed.api_key !== undefined) {
      const ref = ENV_REF.exec(parsed.api_key);
      if (ref !== null) {
        const name = ref[1] ?? "";
        apiKeyEnv = name;
        const value = env[name]?.trim();
        if (value === undefined || value === "") {
          c.problems.push({
            path: joinPath(paths.in, ["api_key"]),
            message: `expected environment variable ${name} to hold the API key; got it ${value === undefined ? "unset" : "empty"}`,
          });
        } else {
          parsed.api_key = value;
        }
      }
    }
    if (failed.size === 0) inConfig = foldAliases(parsed as InFieldsOutput);
  }

  let outConfig: OutConfig | undefined;
  if (rawOut !== undefined) {
    const { values, failed } = validateFields(rawOut, outFields, paths.out, c, NO_SECRETS);
    if (failed.size === 0) outConfig = values as OutConfig;
  }

  if (inConfig !== undefined && outConfig !== undefined) {
    for (const p of keyProblems(inConfig, outConfig)) {
      const raw = p.section === "in" ? rawIn : rawOut;
      c.problems.push({ path: joinPath(paths[p.section], [p.key]), message: `${p.allowed}; got ${describeValue(raw?.[p.key])}` });
    }
  }
  if (c.problems.length > 0 || inConfig === undefined || outConfig === undefined || rawIn === undefined || rawOut === undefined) {
    return fail();
  }
  const config: LoadConfig = {
    in: inConfig,
    out: outConfig,
    exec,
    filters,
    source: fileName,
    raw: { in: rawIn as RawInConfig, out: rawOut as RawOutConfig, exec, filters },
  };
  if (apiKeyEnv !== undefined) config.apiKeyEnv = apiKeyEnv;
  return config;
}

/**
 * Parses a load.yml (YAML 1.2 or JSON) and validates it. `fileName` names the
 * file in messages. Throws LoadConfigError listing every problem.
 */
export function parseLoadConfig(text: string, fileName: string, env: Env, options: ValidateOptions = {}): LoadConfig {
  if (text.trim() === "") {
    throw new LoadConfigError([`${fileName}: the file is empty; expected a mapping with in:, out:, exec:, filters:`]);
  }
  let doc: unknown;
  try {
    doc = readYaml(text, fileName);
  } catch (err) {
    if (err instanceof YamlError) throw new LoadConfigError([err.message]);
    throw err;
  }
  return validateLoadConfig(doc, fileName, env, options);
}

/** Reads and parses a load.yml; `configuration file: PATH not found` when it does not exist. */
export async function readLoadConfigFile(path: string, env: Env, options: ValidateOptions = {}): Promise<LoadConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new LoadConfigError([`configuration file: ${path} not found`]);
    const reason = code === "EISDIR" ? "is a directory" : code === "EACCES" ? "is not readable (permission denied)" : `cannot be read (${code ?? "error"})`;
    throw new LoadConfigError([`configuration file: ${path} ${reason}`]);
  }
  return parseLoadConfig(text, path, env, options);
}

// ---------------------------------------------------------------------------
// Config diffs

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Embulk's merge (DataSourceImpl): mappings recursively, lists by index, anything else replaced. */
export function deepMerge(base: unknown, diff: unknown): unknown {
  if (isMapping(base) && isMapping(diff)) {
    const out: Mapping = { ...base };
    for (const [k, v] of Object.entries(diff)) out[k] = Object.hasOwn(out, k) ? deepMerge(out[k], v) : clone(v);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(diff)) {
    const out = [...base];
    diff.forEach((v, i) => {
      out[i] = i < base.length ? deepMerge(base[i], v) : clone(v);
    });
    return out;
  }
  return clone(diff);
}

/** An env in which `${NAME}` still resolves to the key already resolved in `config`. */
function envFor(config: LoadConfig, env: Env): Env {
  if (config.apiKeyEnv === undefined || env[config.apiKeyEnv] !== undefined) return env;
  return { ...env, [config.apiKeyEnv]: config.in.api_key };
}

/** Drops the other spelling of an aliased `in` key that `patch` sets, so the patch's value wins. */
function dropAliasesOf(target: Mapping, patch: Mapping): void {
  for (const [alias, canonical] of Object.entries(IN_KEY_ALIASES)) {
    if (Object.hasOwn(patch, alias)) delete target[canonical];
    if (Object.hasOwn(patch, canonical)) delete target[alias];
  }
}

/**
 * Deep-merges a config diff (e.g. `{in: {start_time: …}}`) into the config as
 * TD/Embulk do, then validates the result. `env` is only needed when the diff
 * changes `api_key`.
 */
export function mergeConfigDiff(config: LoadConfig, diff: unknown, env: Env = {}): LoadConfig {
  const label = `${config.source} + config diff`;
  if (!isMapping(diff)) {
    throw new LoadConfigError([`${label}: expected a mapping such as {in: {start_time: ...}}; got ${describeValue(diff)}`]);
  }
  const base = clone(config.raw) as unknown as Mapping;
  if (isMapping(diff.in) && isMapping(base.in)) dropAliasesOf(base.in, diff.in);
  const merged = deepMerge(base, diff);
  return { ...validateLoadConfig(merged, label, envFor(config, env)), source: config.source };
}

/**
 * Sets whole keys of `in`/`out` (a list is replaced, not merged by index;
 * `null` removes the key), then validates. For guess's `columns` and the CLI's
 * `--time-column`.
 */
export function setConfigKeys(
  config: LoadConfig,
  keys: { in?: Record<string, unknown>; out?: Record<string, unknown> },
  env: Env = {},
): LoadConfig {
  const doc = clone(config.raw) as unknown as { in: Mapping; out: Mapping };
  for (const section of ["in", "out"] as const) {
    const patch = keys[section];
    if (patch === undefined) continue;
    if (section === "in") dropAliasesOf(doc.in, patch);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === undefined) delete doc[section][k];
      else doc[section][k] = clone(v);
    }
  }
  return { ...validateLoadConfig(doc, config.source, envFor(config, env)), source: config.source };
}

// ---------------------------------------------------------------------------
// Output

/** The document to write: TD's four sections in order; api_key as its `${ENV}` reference, or `***` when redacted. */
export function loadConfigDocument(config: LoadConfig, options: { redact: boolean }): RawLoadConfig {
  const raw = clone(config.raw);
  const key = raw.in.api_key;
  if (typeof key === "string" && !ENV_REF.test(key) && options.redact) raw.in.api_key = "***";
  return { in: raw.in, out: raw.out, exec: raw.exec, filters: raw.filters };
}

/**
 * TD's compact YAML (td compact_format_yamler.rb): mappings whose values are
 * all strings or numbers in flow form (`- {name: id, type: long}`), the rest
 * in block form; lists at their key's indentation. With `json`, pretty JSON.
 */
export function serializeLoadConfig(config: LoadConfig, options: { redact: boolean; format?: "yaml" | "json" }): string {
  const doc = loadConfigDocument(config, options);
  if (options.format === "json") return JSON.stringify(doc, null, 2) + "\n";
  return toCompactYaml(doc);
}

/** Things a valid config holds that itd ignores, one line each, for the user's attention. */
export function loadConfigWarnings(config: LoadConfig): string[] {
  const w: string[] = [];
  if (config.filters.length > 0) {
    w.push(`${config.source}: filters: itd does not apply Embulk filters; ${config.filters.length} ignored`);
  }
  if (!config.in.use_date_range && config.raw.in.date_range !== undefined && config.in.data_type === "export_data") {
    w.push(`${config.source}: in.date_range: ignored because use_date_range is false`);
  }
  return w;
}
