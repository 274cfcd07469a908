/**
 * The daemon's status pages (issue 16), served by its HTTP endpoint beside
 * `/healthz` and `/metrics` (http.ts): read-only HTML with inline SVG and a
 * little script, no build step, no external resource.
 *
 *   GET /                       schedules, problems first (?q=NAME&status=S&page=N&n=SIZE)
 *   GET /schedules/NAME         one schedule (?before=JOB_ID: older history)
 *   GET /jobs/ID                one job and its log, followed while it runs
 *   GET /jobs/ID/log?after=SEQ  the log lines after SEQ (JSON), for that
 *   GET /tables                 the warehouse's tables
 *
 * Every body passes through the secrets' redactor last: an API key or a
 * password that reached a page some other way still leaves as `***`.
 */
import { makeRedactor, type Redactor } from "../../iterable/redact.js";
import { statusContext, type StatusContext, type StatusDeps } from "./context.js";
import { jobLog, jobPage } from "./page-job.js";
import { schedulePage } from "./page-schedule.js";
import { schedulesPage } from "./page-schedules.js";
import { tablesPage } from "./page-tables.js";
import { TablesSource } from "./tables.js";
import { html } from "./html.js";
import { page } from "./layout.js";

export { StatusRecorder } from "./recorder.js";
export type { StatusDeps } from "./context.js";

export interface StatusResponse {
  status: number;
  type: string;
  body: string;
}

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

export class StatusPages {
  private readonly ctx: StatusContext;
  private readonly tables: TablesSource | undefined;
  private redactors = new Map<string, Redactor>();

  constructor(deps: StatusDeps) {
    this.ctx = statusContext(deps);
    this.tables = deps.warehouse === undefined ? undefined : new TablesSource(deps.warehouse, deps.clock);
  }

  /**
   * Starts reading what the listing's order needs (the newest job of every schedule) in the background, so that
   * the first visit does not wait for it. Failures are left to that visit.
   */
  warm(): void {
    this.ctx.lastJobs.get().catch(() => undefined);
  }

  /** The paths served here (for the 404's list). */
  static readonly PATHS = ["/", "/schedules/NAME", "/jobs/ID", "/tables"] as const;

  /** The answer to `GET path?params`, or undefined when the path is not a status page. */
  async handle(path: string, params: URLSearchParams): Promise<StatusResponse | undefined> {
    const answer = await this.route(path, params);
    return answer === undefined ? undefined : { ...answer, body: this.redact(answer.body) };
  }

  private async route(path: string, params: URLSearchParams): Promise<StatusResponse | undefined> {
    if (path === "/" || path === "/index.html") return { status: 200, type: HTML, body: await schedulesPage(this.ctx, params) };
    if (path === "/tables") return { status: 200, type: HTML, body: await tablesPage(this.ctx, this.tables) };
    const schedule = /^\/schedules\/([^/]+)$/.exec(path);
    if (schedule !== null) {
      let name: string;
      try {
        name = decodeURIComponent(schedule[1] ?? "");
      } catch {
        return this.notFound("no such schedule");
      }
      const body = schedulePage(this.ctx, name, params);
      return body === undefined ? this.notFound(`no schedule named ${name}`) : { status: 200, type: HTML, body };
    }
    const job = /^\/jobs\/(\d{1,15})(\/log)?$/.exec(path);
    if (job !== null) {
      const id = Number(job[1]);
      if (job[2] !== undefined) {
        const log = jobLog(this.ctx, id, params);
        return log === undefined ? { status: 404, type: JSON_TYPE, body: JSON.stringify({ error: `no job ${id}` }) + "\n" } : { status: 200, type: JSON_TYPE, body: JSON.stringify(log) + "\n" };
      }
      const body = jobPage(this.ctx, id);
      return body === undefined ? this.notFound(`no job ${id}`) : { status: 200, type: HTML, body };
    }
    return undefined;
  }

  private notFound(what: string): StatusResponse {
    const body = html`<h1>Not found</h1><p>${what}. <a href="/">All schedules</a></p>`;
    return { status: 404, type: HTML, body: page({ title: "Not found", section: "none", figures: this.ctx.recorder.figures(), body }) };
  }

  /** `body` with every secret as `***` (redactors kept per secret: the secrets change only with the schedules). */
  private redact(body: string): string {
    const secrets = this.ctx.secrets?.() ?? [];
    if (secrets.length === 0) return body;
    const next = new Map<string, Redactor>();
    let out = body;
    for (const s of secrets) {
      if (s.length < 4) continue;
      const r = this.redactors.get(s) ?? makeRedactor(s);
      next.set(s, r);
      out = r(out);
    }
    this.redactors = next;
    return out;
  }
}
