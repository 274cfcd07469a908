/** `GET /tables`: the warehouse's databases and tables (figures from TablesSource). */
import type { StatusContext } from "./context.js";
import { sparkline } from "./charts.js";
import { count, instant, relative } from "./format.js";
import { html } from "./html.js";
import { page } from "./layout.js";
import { DAYS, type TablesSource } from "./tables.js";

export async function tablesPage(ctx: StatusContext, source: TablesSource | undefined): Promise<string> {
  const figures = ctx.recorder.figures();
  if (source === undefined || ctx.warehouse === undefined) {
    return page({ title: "Tables", section: "tables", figures, body: html`<h1>Tables</h1><p class="muted">This daemon has no warehouse to read.</p>` });
  }
  const reading = await source.get();
  const now = ctx.clock.now();
  const sec = (s: number | null) => instant(s === null ? null : s * 1000);
  const rows = reading.tables.map(
    (t) => html`<tr><td>${t.database}</td><td>${t.name}</td><td class="num">${count(t.rows)}</td>
<td>${sec(t.minTime)}</td><td>${sec(t.maxTime)}</td>
<td>${instant(t.lastImportAt)}${t.lastImportAt === null ? "" : html`<div class="muted">${relative(t.lastImportAt, now)}</div>`}</td>
<td>${sparkline(t.perDay, `rows imported per day, last ${DAYS} days: ${t.perDay.map(count).join(", ")}`)}<div class="muted">${count(t.perDay.reduce((a, b) => a + b, 0))} in ${DAYS} d</div></td></tr>`,
  );
  const databases = new Set(reading.tables.map((t) => t.database)).size;
  const body = html`<h1>Tables</h1>
<p class="muted">${count(databases)} databases, ${count(reading.tables.length)} tables in ${ctx.warehouse.location} (${ctx.warehouse.engine}); read ${relative(reading.readAt, now)}, again at most every minute.</p>
${reading.problems.map((p) => html`<p class="badge s-error">${p.database}: ${p.message}</p>`)}
<div class="scroll"><table><thead><tr><th>Database</th><th>Table</th><th class="num">Rows</th><th>Oldest <code>time</code></th><th>Newest <code>time</code></th><th>Last import</th><th>Rows imported per day</th></tr></thead>
<tbody>${rows}</tbody></table></div>
${reading.tables.length === 0 ? html`<p class="muted">No tables yet.</p>` : ""}`;
  return page({ title: "Tables", section: "tables", figures, body, refreshSeconds: 60 });
}
