/**
 * itd's typed errors. Every error a user can see is an ItdError with a literal
 * `code`; the CLI maps codes to exit codes in one table (src/cli/exit-codes.ts).
 */
export type ItdErrorCode =
  | "config" // a malformed load.yml, schedule file, daemon config or flag
  | "usage" // wrong CLI arguments
  | "iterable" // Iterable answered with an error, or could not be reached
  | "not_found" // a database, table, job or schedule that does not exist
  | "conflict" // a name already taken, a lock held
  | "store" // the state store or the warehouse failed
  | "schedule" // a bad cron pattern or timezone
  | "data" // a record that does not fit its column
  | "interrupted" // a job stopped by a signal
  | "internal";

export interface ItdErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Extra lines shown to the user after the message (hints). */
  hints?: readonly string[];
}

export class ItdError extends Error {
  readonly code: ItdErrorCode;
  readonly retryable: boolean;
  readonly hints: readonly string[];

  constructor(code: ItdErrorCode, message: string, options: ItdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ItdError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hints = options.hints ?? [];
  }
}

export class ConfigError extends ItdError {
  constructor(message: string, options: ItdErrorOptions = {}) {
    super("config", message, options);
    this.name = "ConfigError";
  }
}

export class UsageError extends ItdError {
  constructor(message: string, options: ItdErrorOptions = {}) {
    super("usage", message, options);
    this.name = "UsageError";
  }
}

export class NotFoundError extends ItdError {
  constructor(message: string, options: ItdErrorOptions = {}) {
    super("not_found", message, options);
    this.name = "NotFoundError";
  }
}

export class StoreError extends ItdError {
  constructor(message: string, options: ItdErrorOptions = {}) {
    super("store", message, options);
    this.name = "StoreError";
  }
}

export class DataError extends ItdError {
  constructor(message: string, options: ItdErrorOptions = {}) {
    super("data", message, options);
    this.name = "DataError";
  }
}

/** The message of anything thrown, for logs and job records. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
