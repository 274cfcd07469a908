/**
 * What a soak found, as data (soak-report.json) and as text: the chaos done,
 * the faults injected, the jobs, each table's and each schedule's verdict,
 * and the last line `missing: N  duplicated: N  extra: N`.
 */
import type { SlotVerdict, TableVerdict } from "./oracle.js";

/** One daemon (home) of a soak of several, or of one on a PostgreSQL state. */
export interface DaemonSummary {
  index: number;
  home: string;
  hostname: string | undefined;
  /** Processes started (the first and every restart). */
  starts: number;
  sigkill: number;
  sigterm: number;
  /** SIGSTOPs past the daemon lease, and of them how many ended with the daemon fenced (exited non-zero). */
  stall: number;
  fenced: number;
  jobSigkill: number;
  /** Its host died (daemon and job processes SIGKILLed, down past the stream lease): daemons on hosts of their own. */
  hostDown: number;
  exitCodes: Record<string, number>;
}

export interface SoakSummary {
  minutes: number;
  dir: string;
  seed: number;
  /** Daemons (homes), and where their state and warehouse were. */
  daemons: number;
  state: "sqlite" | "postgres";
  warehouse: "sqlite" | "postgres";
  kills: { daemonSigkill: number; daemonSigterm: number; jobSigkill: number; daemonStall: number };
  /** Per daemon, when there are several or the state is shared (PostgreSQL). */
  perDaemon: DaemonSummary[];
  faults: Record<string, number>;
  rateLimited429: number;
  requests: number;
  jobs: Record<string, number>;
  recordsImported: number;
  rows: number;
  cli: { runs: number; byCommand: Record<string, number>; unexpected: string[] };
  tables: TableVerdict[];
  slots: SlotVerdict[];
  missing: number;
  duplicated: number;
  extra: number;
  problems: string[];
  daemonExitCodes: Record<string, number>;
}

/** The summary as text; the last line is `missing: N  duplicated: N  extra: N`. */
export function formatSummary(s: SoakSummary): string {
  const lines: string[] = [];
  const kv = (o: Record<string, number>): string => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  lines.push(`soak: ${s.minutes.toFixed(1)} minutes, seed ${s.seed}, files in ${s.dir}`);
  lines.push(`kills: daemon SIGKILL ${s.kills.daemonSigkill}, daemon SIGTERM ${s.kills.daemonSigterm}, job process SIGKILL ${s.kills.jobSigkill}`);
  if (s.perDaemon.length > 0) {
    lines.push(`daemons: ${s.daemons} on one ${s.state === "postgres" ? "PostgreSQL" : "state.db"} state, ${s.warehouse === "postgres" ? "a PostgreSQL" : "the SQLite"} warehouse; stalls past the lease ${s.kills.daemonStall}; exits ${kv(s.daemonExitCodes)}`);
    for (const d of s.perDaemon) {
      lines.push(
        `  #${d.index} ${d.hostname ?? "(this host)"} ${d.home}: started ${d.starts}×; SIGKILL ${d.sigkill}, SIGTERM ${d.sigterm}, SIGSTOP past its lease ${d.stall} (fenced ${d.fenced}), ` +
          `${d.hostname !== undefined ? `host down ${d.hostDown}, ` : ""}its job processes SIGKILLed ${d.jobSigkill}; exits ${kv(d.exitCodes)}`,
      );
    }
  }
  lines.push(`faults injected: ${kv(s.faults)} (total ${Object.values(s.faults).reduce((a, b) => a + b, 0)}); rate-limit 429s ${s.rateLimited429}; requests ${s.requests}`);
  lines.push(`jobs: ${kv(s.jobs)}; records imported ${s.recordsImported}; rows checked ${s.rows}`);
  lines.push(`cli commands: ${s.cli.runs} (${kv(s.cli.byCommand)}); unexpected failures ${s.cli.unexpected.length}`);
  for (const u of s.cli.unexpected.slice(0, 10)) lines.push(`  ${u}`);
  lines.push("tables:");
  for (const t of s.tables) {
    // A lookback's and an upsert's jobs say what their key did: records already in the table, rows updated.
    const keyed = t.present !== undefined ? `  jobs: ${t.present} already present, ${t.updated ?? 0} updated a row` : "";
    lines.push(`  ${t.schedule.padEnd(16)} ${t.table.padEnd(26)} rows ${String(t.rows).padStart(8)}  expected ${String(t.expected).padStart(8)}  missing ${t.missing}  duplicated ${t.duplicated}  extra ${t.extra}${keyed}${t.notes.length ? `  (${t.notes.join("; ")})` : ""}`);
  }
  lines.push("slots:");
  for (const v of s.slots) {
    lines.push(`  ${v.schedule.padEnd(16)} ${String(v.slots).padStart(4)} slots: ${kv(v.byStatus)}; absent ${v.absent.length}, twice ${v.twice.length}, unfinished ${v.unfinished.length}, off-cron ${v.offCron.length}`);
  }
  lines.push(`problems: ${s.problems.length}`);
  for (const p of s.problems.slice(0, 20)) lines.push(`  ${p}`);
  lines.push(`missing: ${s.missing}  duplicated: ${s.duplicated}  extra: ${s.extra}`);
  return lines.join("\n");
}

/** True when the soak found nothing wrong. */
export function soakPassed(s: SoakSummary): boolean {
  return s.missing === 0 && s.duplicated === 0 && s.extra === 0 && s.problems.length === 0 && s.cli.unexpected.length === 0;
}
