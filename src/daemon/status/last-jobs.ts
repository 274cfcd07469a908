/**
 * The newest job of every schedule, for the listing's "problems first" sort
 * and its status filter: 10,000 schedules are 10,000 index seeks (70–220 ms
 * on a million jobs), too long to block the daemon's loop for. So they are
 * read in chunks with a turn of the event loop between them, kept, and read
 * again when older than `maxAgeMs` — in the background: a page is served from
 * the last complete reading (the very first, and any after a quick one, wait
 * for theirs). The rows a page shows are read fresh (StatusQueries.recentJobs);
 * on a large home only the order and the filter may lag by up to `maxAgeMs`.
 */
import type { Clock } from "../../clock.js";
import type { LastJob, StatusQueries } from "../../store/status.js";

/** A reading this quick (a home of a few hundred schedules) is waited for rather than served from the last one. */
const QUICK_READ_MS = 50;

export class LastJobs {
  private byId: ReadonlyMap<number, LastJob> = new Map();
  private readAt = Number.NEGATIVE_INFINITY;
  /** How long the last complete reading took (ms): a quick one is waited for, so a small home's order is fresh. */
  private readMs = Number.POSITIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly queries: StatusQueries,
    private readonly clock: Clock,
    private readonly options: { maxAgeMs?: number; chunk?: number } = {},
  ) {}

  /** The newest job of each schedule (by schedule id), at most `maxAgeMs` old but for a reading under way. */
  async get(): Promise<ReadonlyMap<number, LastJob>> {
    const age = this.clock.now() - this.readAt;
    if (age >= (this.options.maxAgeMs ?? 10_000)) {
      if (this.reading === undefined) {
        const reading = this.read();
        this.reading = reading;
        // Handled here: a background reading that fails (the store away) leaves the last one in place.
        reading.then(() => (this.reading = undefined), () => (this.reading = undefined));
      }
      if (this.readAt === Number.NEGATIVE_INFINITY || this.readMs < QUICK_READ_MS) await this.reading;
    }
    return this.byId;
  }

  private async read(): Promise<void> {
    const started = this.clock.now();
    const next = new Map<number, LastJob>();
    const chunk = this.options.chunk ?? 500;
    let after = 0;
    for (;;) {
      const { jobs, lastId } = this.queries.lastJobs(after, chunk);
      for (const j of jobs) next.set(j.scheduleId, j);
      if (lastId === undefined) break;
      after = lastId;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.byId = next;
    this.readAt = this.clock.now();
    this.readMs = this.readAt - started;
  }
}
