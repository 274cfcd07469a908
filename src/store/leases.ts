/**
 * Leases with fencing tokens (design §6b): one job per stream at a time
 * across every process, and one daemon per home. A lease is held by a
 * process (pid on a host) until it is released, its holder is gone, or it
 * expires unrenewed; each grant gets a new token from one counter, so a
 * holder that stalled past its lease finds a higher token in its place and
 * every write it tries under the old one is refused.
 */
import type { Db } from "./db.js";

export interface Holder {
  pid: number;
  host: string;
}

export interface StreamLease {
  stream: string;
  token: number;
  jobId: number;
  pid: number;
  host: string;
  expiresAt: number;
}

/** How long a stream lease lives unrenewed; job processes renew it every STREAM_LEASE_RENEW_MS. */
export const STREAM_LEASE_MS = 30_000;
export const STREAM_LEASE_RENEW_MS = 5_000;
/** How long the daemon's lease lives unrenewed; the daemon renews it every DAEMON_LEASE_RENEW_MS. */
export const DAEMON_LEASE_MS = 10_000;
export const DAEMON_LEASE_RENEW_MS = 2_000;

/** The next fencing token (inside the caller's write transaction; on PostgreSQL from a sequence, which no rollback reuses). */
export function nextToken(db: Db): number {
  if (db.engine === "postgres") return (db.prepare(`SELECT nextval('tokens') AS value`).get() as { value: number }).value;
  return (db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'token' RETURNING value`).get() as { value: number }).value;
}

interface LeaseRow { stream: string; token: number; job_id: number; pid: number; host: string; expires_at: number }

function toLease(r: LeaseRow): StreamLease {
  return { stream: r.stream, token: r.token, jobId: r.job_id, pid: r.pid, host: r.host, expiresAt: r.expires_at };
}

/**
 * Whether a lease still binds: not expired, and its holder not known dead
 * (a process on this host that is gone frees its leases at once).
 */
export function leaseLive(l: { pid: number; host: string; expiresAt: number }, now: number, me: Holder, isAlive: (pid: number) => boolean): boolean {
  if (l.expiresAt <= now) return false;
  return l.host !== me.host || isAlive(l.pid);
}

export class LeaseStore {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  get(stream: string): StreamLease | undefined {
    const r = this.db.prepare(`SELECT * FROM leases WHERE stream = ?`).get(stream) as LeaseRow | undefined;
    return r ? toLease(r) : undefined;
  }

  /** Every lease row (live or not). */
  list(): StreamLease[] {
    return (this.db.prepare(`SELECT * FROM leases`).all() as LeaseRow[]).map(toLease);
  }

  /**
   * Inside the caller's write transaction: takes the stream for `jobId`, or
   * returns the live lease in the way.
   */
  take(stream: string, jobId: number, holder: Holder, isAlive: (pid: number) => boolean): { token: number } | { busy: StreamLease } {
    const now = this.now();
    const current = this.get(stream);
    if (current && current.jobId !== jobId && leaseLive(current, now, holder, isAlive)) return { busy: current };
    const token = nextToken(this.db);
    this.db
      .prepare(
        `INSERT INTO leases (stream, token, job_id, pid, host, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (stream) DO UPDATE SET token = excluded.token, job_id = excluded.job_id, pid = excluded.pid,
           host = excluded.host, expires_at = excluded.expires_at`,
      )
      .run(stream, token, jobId, holder.pid, holder.host, now + STREAM_LEASE_MS);
    return { token };
  }

  /** Extends the lease (and names its holder: the daemon takes it, the job process renews it); false when it is no longer ours. */
  renew(stream: string, token: number, holder?: Holder): boolean {
    const now = this.now();
    return (
      this.db
        .prepare(
          `UPDATE leases SET expires_at = @expires, pid = COALESCE(@pid, pid), host = COALESCE(@host, host)
            WHERE stream = @stream AND token = @token AND expires_at > @now`,
        )
        .run({ expires: now + STREAM_LEASE_MS, pid: holder?.pid ?? null, host: holder?.host ?? null, stream, token, now }).changes === 1
    );
  }

  /** Whether `token` is still the stream's lease (and not expired). */
  holds(stream: string, token: number): boolean {
    return this.db.prepare(`SELECT 1 FROM leases WHERE stream = ? AND token = ? AND expires_at > ?`).get(stream, token, this.now()) !== undefined;
  }

  release(stream: string, token: number): void {
    this.db.prepare(`DELETE FROM leases WHERE stream = ? AND token = ?`).run(stream, token);
  }
}
