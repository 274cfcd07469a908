/**
 * connector/: load.yml, guess, conversion to typed rows, window planning
 * (design §1). The sources (campaign, list, export_data) join here later.
 */
export { LoadConfigError, type ConfigProblem } from "./config-errors.js";
export {
  columnSchema,
  inFields,
  inSectionSchema,
  outFields,
  outSectionSchema,
  execSectionSchema,
  filtersSectionSchema,
  IN_KEY_ALIASES,
  DATA_TYPES,
  DATE_RANGES,
  resolveDateRange,
  retryOptionsOf,
  timeoutOptionsOf,
  type DataType,
  type DateRange,
  type Env,
  type InConfig,
  type LoadColumn,
  type OutConfig,
  type RawInConfig,
  type RawOutConfig,
  type ValidateOptions,
} from "./config-schema.js";
export {
  parseLoadConfig,
  readLoadConfigFile,
  validateLoadConfig,
  serializeLoadConfig,
  loadConfigDocument,
  mergeConfigDiff,
  setConfigKeys,
  deepMerge,
  loadConfigWarnings,
  type LoadConfig,
  type RawLoadConfig,
} from "./config.js";
export { toCompactYaml } from "./compact-yaml.js";
export { columnName, legacyColumnName, uniqueNames, MAX_COLUMN_NAME_LENGTH } from "./naming.js";
export { guessColumns, findNewFields, type GuessOptions } from "./guess.js";
export { columnForField, defaultDedupKey, describeMatch, proposedOut, requiredColumnsOf, rowMatchOf } from "./keys.js";
export { createRowConverter, type RowConverter, type RowConverterOptions } from "./convert.js";
export { planExportWindows, configDiffFor, type PlanInput, type ExportPlan } from "./plan.js";
export {
  parseTimestamp,
  formatTimestamp,
  toTimestampText,
  parseRfc3339,
  formatRfc3339,
  timestampFormatOf,
} from "./timestamp.js";
export { sourceFor, fixedPlan, type RunContext, type SlicePlan, type SliceReadOptions, type Source, type SourceRecord, type SourceSlice } from "./sources/index.js";
export {
  AdaptiveWindows,
  estimateRemainingMs,
  MIN_WINDOW_MS,
  splitEnd,
  splittable,
  targetRecords,
  windowLength,
  type SlicingLimits,
  type SplitInfo,
  type StreamDensity,
} from "./slicing.js";
export { SliceGuard, SplitSlice } from "./slice-guard.js";
export { readSample, type Sample } from "./sample.js";
export { runLoadJob, newestCommitted, LONG_WAIT_MS, type Committed, type LoadJobDeps, type LoadJobSpec, type LoadOutcome, type LoadProgress } from "./run.js";
export { issueStreamFor } from "./stream.js";
export { runScheduleJob, runStartedJob, underLease, jobEnd, type HeldLease } from "./scheduled.js";
