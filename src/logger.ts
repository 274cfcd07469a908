/**
 * What itd's code asks of a logger: pino's methods it calls. A pino logger is
 * one (src/log.ts makes them); so is silentLogger(), which needs no pino — a
 * command that logs nothing does not load it (issue 11: start-up).
 */
import type { LogFn } from "pino";

export interface Logger {
  level: string;
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const drop: LogFn = () => undefined;

/** A logger that drops everything (library default when none is passed). */
export function silentLogger(): Logger {
  const logger: Logger = { level: "silent", fatal: drop, error: drop, warn: drop, info: drop, debug: drop, trace: drop, child: () => logger };
  return logger;
}
