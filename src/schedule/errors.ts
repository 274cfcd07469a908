import { ItdError, type ItdErrorOptions } from "../errors.js";

/** A bad cron pattern or time zone. Messages name the pattern or zone and the part at fault. */
export class ScheduleError extends ItdError {
  constructor(message: string, options: ItdErrorOptions = {}) {
    super("schedule", message, options);
    this.name = "ScheduleError";
  }
}
