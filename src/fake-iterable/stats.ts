/** What the fake has served: requests by endpoint and status, records, faults and 429s. */

export interface FakeStats {
  /** endpoint (or "control", "notFound") → HTTP status → count. */
  requests: Record<string, Record<string, number>>;
  /** endpoint → records (lines, members, rows) written. */
  recordsServed: Record<string, number>;
  /** endpoint → body bytes written. */
  bytesServed: Record<string, number>;
  /** fault kind → times injected. */
  faultsInjected: Record<string, number>;
  /** 429s from rate limiting (not from `429` faults). */
  rateLimited: number;
  /** Responses still being written. */
  inFlight: number;
}

export class StatsRecorder {
  private readonly s: FakeStats = { requests: {}, recordsServed: {}, bytesServed: {}, faultsInjected: {}, rateLimited: 0, inFlight: 0 };

  request(endpoint: string, status: number): void {
    const byStatus = (this.s.requests[endpoint] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }

  records(endpoint: string, n: number): void {
    this.s.recordsServed[endpoint] = (this.s.recordsServed[endpoint] ?? 0) + n;
  }

  bytes(endpoint: string, n: number): void {
    this.s.bytesServed[endpoint] = (this.s.bytesServed[endpoint] ?? 0) + n;
  }

  fault(kind: string): void {
    this.s.faultsInjected[kind] = (this.s.faultsInjected[kind] ?? 0) + 1;
  }

  rateLimited(): void {
    this.s.rateLimited++;
  }

  started(): void {
    this.s.inFlight++;
  }

  finished(): void {
    this.s.inFlight--;
  }

  /** A deep copy, safe to keep. */
  snapshot(): FakeStats {
    return structuredClone(this.s);
  }
}
