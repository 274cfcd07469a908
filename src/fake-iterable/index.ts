/**
 * The fake Iterable: a real HTTP server following shared/iterable-api.md with
 * deterministic seeded data (shared/iterable-fields.json shapes), streamed
 * exports, auth, rate limits and faults on demand; plus the pure generator
 * functions that say exactly what it serves.
 */
export { startFakeIterable, type FakeIterable } from "./server.js";
export { generatorConfig, dataStartBefore, DEFAULTS, MAX_USER_UPDATES, type FakeIterableOptions, type GeneratorConfig } from "./options.js";
export { parseFaultSpec, formatFault, FAULT_KINDS, type FaultSpec, type FaultKind, type FaultTarget } from "./faults.js";
export {
  parseRateLimit,
  resolveRateLimits,
  DEFAULT_RATE_LIMITS,
  type RateLimit,
  type RateLimitOverrides,
  type RateLimitTarget,
} from "./rate-limit.js";
export { FAKE_ENDPOINTS, ENDPOINT_PATHS, type FakeEndpoint } from "./endpoints.js";
export type { FakeStats } from "./stats.js";
export { exportRecords, countExportRecords, eventIdentities, latestUserProfiles, userVersions, type ExportFilter } from "./generator.js";
export type { UserVersion } from "./user-versions.js";
export { servedAt } from "./late.js";
export { campaignsFor, listsFor } from "./world.js";
export { listMembers } from "./members.js";
export { metricsFor, metricColumns, metricText, type MetricsTable } from "./metrics.js";
export { keyFieldOf, fieldsOf } from "./shapes.js";
export { MEDIUMS, type Medium } from "./campaigns.js";
export type { EventIdentity, Window } from "./events.js";
export { measureGeneration, type ThroughputResult, type ThroughputRun } from "./throughput.js";
