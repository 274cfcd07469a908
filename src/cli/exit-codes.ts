import type { ItdErrorCode } from "../errors.js";

/** One table from error code to process exit code. TD exits 1 on every error; we keep 1 but for usage (2) and signals (130). */
export const EXIT_CODES: Record<ItdErrorCode, number> = {
  usage: 2,
  config: 1,
  iterable: 1,
  not_found: 1,
  conflict: 1,
  store: 1,
  schedule: 1,
  data: 1,
  interrupted: 130,
  internal: 1,
};
