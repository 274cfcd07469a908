/**
 * Values that commands' help text shows and their code uses, kept in a module
 * that imports nothing, so `itd help` (src/cli/registry.ts) loads no command.
 */
import type { JobStatus } from "../store/index.js";

/** Records `connector:guess` reads to guess the columns. */
export const GUESS_SAMPLE = 1000;

/** The variable `iterable:lists` / `iterable:campaigns` read when no load.yml is given (the one the README's seed.yml names). */
export const API_KEY_ENV = "ITERABLE_API_KEY";

/** Every job status, in `job:list --status`'s order. */
export const JOB_STATUSES = ["queued", "running", "success", "error", "killed", "skipped"] as const satisfies readonly JobStatus[];

/** `itd query --timeout`: seconds before the statement is killed (0 = no limit). */
export const DEFAULT_QUERY_TIMEOUT_S = 300;
/** `itd query --limit`: rows shown at most (0 = all). */
export const DEFAULT_QUERY_ROWS = 10_000;
