/**
 * What guess and preview say while Iterable keeps them waiting: one line on
 * stderr per retry (a 429, an unreachable host, a 5xx, a timeout) and per
 * long rate-budget wait, so they are never silent for a minute before failing.
 */
import { LONG_WAIT_MS } from "../connector/index.js";
import { describeCallEvent, type CallEvent } from "../iterable/index.js";

export function waitNotes(out: NodeJS.WritableStream, minWaitMs = LONG_WAIT_MS): (event: CallEvent) => void {
  return (e) => {
    if (e.type === "sent" || (e.type === "rate-limit" && e.waitMs < minWaitMs)) return;
    out.write(`${describeCallEvent(e) as string}\n`);
  };
}
