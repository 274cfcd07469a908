/**
 * GET /api/export/data.json and data.csv: the records of one type in a
 * window, streamed as NDJSON or CSV, generated as they are written. data.json
 * is labelled `text/plain; charset=utf-8`, as Iterable's recorded responses
 * are (the spec says application/x-json-stream).
 */
import { countRecords, openCursor } from "./events.js";
import { exportRequest, delimiterParam } from "./params.js";
import { CSV_GARBAGE, pumpLines, type Route } from "./route.js";
import { csvHeader, csvRow, jsonLine } from "./serialize.js";

/** A truncated copy of the next object: broken JSON in the middle of the body. */
function truncatedJson(next: string): string {
  if (next === "") return '{"createdAt":"2025-01-01 00:00:00 +00:00","email":"trunc';
  let half = next.length >> 1;
  if (/[\ud800-\udbff]/.test(next.charAt(half - 1))) half--;
  return next.slice(0, half);
}

export const exportJson: Route = async (ctx) => {
  const req = exportRequest(ctx.params, ctx.now, ctx.cfg.dataStart);
  const { shape, mask } = req;
  const cursor = openCursor(ctx.cfg, shape, req.window, req.campaignId);
  const total = ctx.writer.malformed ? countRecords(ctx.cfg, shape, req.window) : 0;
  await ctx.writer.start(200, { "content-type": "text/plain; charset=utf-8" });
  await pumpLines(
    ctx,
    () => {
      const values = cursor.next();
      return values === undefined ? undefined : jsonLine(shape, values, mask);
    },
    { garbage: truncatedJson, garbageAt: total >> 1 },
  );
};

export const exportCsv: Route = async (ctx) => {
  const req = exportRequest(ctx.params, ctx.now, ctx.cfg.dataStart);
  const delimiter = delimiterParam(ctx.params);
  const { shape, mask } = req;
  const cursor = openCursor(ctx.cfg, shape, req.window, req.campaignId);
  const total = ctx.writer.malformed ? countRecords(ctx.cfg, shape, req.window) : 0;
  await ctx.writer.start(200, { "content-type": "text/csv; charset=utf-8" });
  await pumpLines(
    ctx,
    () => {
      const values = cursor.next();
      return values === undefined ? undefined : csvRow(shape, values, delimiter, mask);
    },
    { head: csvHeader(shape, delimiter, mask), garbage: () => CSV_GARBAGE, garbageAt: total >> 1 },
  );
};
