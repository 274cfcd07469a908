import { pino, type DestinationStream } from "pino";
import type { Logger } from "./logger.js";

export { silentLogger, type Logger } from "./logger.js";

/** Paths pino redacts wherever they appear in a log object. */
export const REDACT_PATHS = [
  "apiKey",
  "api_key",
  "*.apiKey",
  "*.api_key",
  "*.*.api_key",
  "headers['api-key']",
  "*.headers['api-key']",
  "config.in.api_key",
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/**
 * The one place a pino logger is made; binaries call it in their composition
 * root. Lines read `{"level":"info","time":"…","pid":…,…,"msg":"…"}`: levels by
 * name, and `pid` is this process's (a job's process is `jobPid`).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? "info",
    redact: { paths: REDACT_PATHS, censor: "***" },
    base: options.base ?? { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
