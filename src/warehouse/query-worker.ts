/**
 * The process `itd query` runs its statement in, forked by
 * `queryInSubprocess` (query.ts): one request over IPC, one reply (the
 * connection closed first), then the parent kills it. This file is that
 * process's entry point, never imported.
 *
 * The parent kills this process at the deadline. A watchdog thread kills it
 * too when the parent is gone (SIGKILLed: no disconnect is noticed while
 * SQLite is stepping) or well after the deadline, so a runaway statement
 * never spins on as an orphan.
 */
import { Worker } from "node:worker_threads";
import { errorMessage, ItdError } from "../errors.js";
import { openReadonly } from "./connection.js";
import { runLimitedQuery, type QueryReply, type QueryRequest } from "./query.js";

const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const start = Date.now();
setInterval(() => {
  const late = workerData.killAfterMs > 0 && Date.now() - start > workerData.killAfterMs;
  if (late || process.ppid !== workerData.parentPid) process.kill(process.pid, "SIGKILL");
}, 250);
`;

function startWatchdog(request: QueryRequest): void {
  // It boots on its own thread while the statement runs; unref'd, it never keeps this process alive.
  new Worker(WATCHDOG, { eval: true, workerData: { parentPid: request.parentPid, killAfterMs: request.killAfterMs } }).unref();
}

function answer(request: QueryRequest): QueryReply {
  try {
    const conn = openReadonly(request.file);
    try {
      return { t: "rows", ...runLimitedQuery(conn, request.sql, undefined, request.maxRows) };
    } finally {
      conn.close();
    }
  } catch (err) {
    if (err instanceof ItdError) {
      return { t: "error", code: err.code, message: err.message, hints: [...err.hints], retryable: err.retryable };
    }
    return { t: "error", code: "internal", message: errorMessage(err), hints: [], retryable: false };
  }
}

process.once("message", (message) => {
  const request = message as QueryRequest;
  startWatchdog(request);
  const reply = answer(request);
  process.send?.(reply, () => {
    if (process.connected) process.disconnect();
  });
});
