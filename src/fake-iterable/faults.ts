/**
 * Faults on demand. A spec `ENDPOINT:KIND[=ARG][@N|@P%]` names which requests
 * (an endpoint, `export` for both export endpoints, or `*`), what goes wrong,
 * and how often: the next N matching requests (default 1) or a share P% of
 * them, drawn deterministically from the seed.
 */
import { expandEndpoint, FAKE_ENDPOINTS, type FakeEndpoint } from "./endpoints.js";
import { hash32, unit } from "./prng.js";

export const FAULT_KINDS = ["500", "503", "429", "cut", "malformed", "slow", "stall", "html"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultTarget = FakeEndpoint | "export" | "*";

export interface FaultSpec {
  endpoint: FaultTarget;
  kind: FaultKind;
  /** cut: bytes of body sent before the cut; slow, stall: milliseconds. */
  arg?: number;
  /** The next `times` matching requests (default 1 when `percent` is not set). */
  times?: number;
  /** A share of matching requests, 0 < percent ≤ 100. */
  percent?: number;
}

const NEEDS_ARG: Partial<Record<FaultKind, string>> = { cut: "BYTES", slow: "MS", stall: "MS" };
const KIND_LIST = "500, 503, 429, html, malformed, cut=BYTES, slow=MS, stall=MS";

/** Checks a fault given as an object; throws an Error naming the bad part. */
export function validateFault(f: FaultSpec, label = JSON.stringify(f)): FaultSpec {
  if (f.endpoint !== "*" && !expandEndpoint(f.endpoint)) {
    throw new Error(`fault ${label}: unknown endpoint "${String(f.endpoint)}" (expected one of ${FAKE_ENDPOINTS.join(", ")}, export, *)`);
  }
  if (!(FAULT_KINDS as readonly string[]).includes(f.kind)) throw new Error(`fault ${label}: unknown kind "${String(f.kind)}" (expected one of ${KIND_LIST})`);
  const argName = NEEDS_ARG[f.kind];
  if (argName !== undefined) {
    if (f.arg === undefined || !Number.isSafeInteger(f.arg) || f.arg < 0) {
      throw new Error(`fault ${label}: ${f.kind} needs a whole number ≥ 0 (${f.kind}=${argName})`);
    }
  } else if (f.arg !== undefined) {
    throw new Error(`fault ${label}: ${f.kind} takes no argument`);
  }
  if (f.times !== undefined && f.percent !== undefined) throw new Error(`fault ${label}: give either a count (@N) or a share (@P%), not both`);
  if (f.times !== undefined && (!Number.isSafeInteger(f.times) || f.times < 1)) {
    throw new Error(`fault ${label}: the count after @ must be a whole number ≥ 1; got ${f.times}`);
  }
  if (f.percent !== undefined && !(f.percent > 0 && f.percent <= 100)) {
    throw new Error(`fault ${label}: the share after @ must be more than 0% and at most 100%; got ${f.percent}%`);
  }
  return f;
}

/** Parses `ENDPOINT:KIND[=ARG][@N|@P%]`, e.g. `export:500@2`, `getUsers:cut=100@10%`, `*:slow=2000`. */
export function parseFaultSpec(spec: string): FaultSpec {
  const label = `"${spec}"`;
  const colon = spec.indexOf(":");
  if (colon < 0) throw new Error(`fault ${label}: expected ENDPOINT:KIND[=ARG][@N|@P%], e.g. export:500@2`);
  const endpoint = spec.slice(0, colon).trim();
  let rest = spec.slice(colon + 1).trim();
  const fault: FaultSpec = { endpoint: endpoint as FaultTarget, kind: "500" };
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const how = rest.slice(at + 1).trim();
    rest = rest.slice(0, at).trim();
    if (/^\d+(?:\.\d+)?%$/.test(how)) fault.percent = Number(how.slice(0, -1));
    else if (/^\d+$/.test(how)) fault.times = Number(how);
    else throw new Error(`fault ${label}: bad repeat "@${how}" (expected @N, e.g. @3, or @P%, e.g. @10%)`);
  }
  const eq = rest.indexOf("=");
  const kind = eq >= 0 ? rest.slice(0, eq).trim() : rest;
  fault.kind = kind as FaultKind;
  if (eq >= 0) {
    const arg = rest.slice(eq + 1).trim();
    if (!/^\d+$/.test(arg)) throw new Error(`fault ${label}: bad argument "${arg}" for ${kind} (expected a whole number)`);
    fault.arg = Number(arg);
  }
  return validateFault(fault, label);
}

/** The text form of a fault (parseFaultSpec's input). */
export function formatFault(f: FaultSpec): string {
  const arg = f.arg === undefined ? "" : `=${f.arg}`;
  const how = f.percent !== undefined ? `@${f.percent}%` : `@${f.times ?? 1}`;
  return `${f.endpoint}:${f.kind}${arg}${how}`;
}

interface Armed {
  spec: FaultSpec;
  serial: number;
  remaining: number;
  seen: number;
}

/** The active faults; `take` picks the one (if any) a request gets. */
export class FaultBook {
  private armed: Armed[] = [];
  private serial = 0;

  constructor(private readonly seed: number) {}

  add(faults: readonly (FaultSpec | string)[]): void {
    const parsed = faults.map((f) => (typeof f === "string" ? parseFaultSpec(f) : validateFault({ ...f })));
    for (const spec of parsed) {
      this.armed.push({ spec, serial: this.serial++, remaining: spec.percent === undefined ? (spec.times ?? 1) : Infinity, seen: 0 });
    }
  }

  clear(): void {
    this.armed = [];
  }

  /** Active faults as spec strings (counts show what is left). */
  list(): string[] {
    return this.armed.map((a) => formatFault(a.spec.percent === undefined ? { ...a.spec, times: a.remaining } : a.spec));
  }

  /** The fault for a request to `endpoint`: the first armed one that matches and fires; used up when counted. */
  take(endpoint: FakeEndpoint): FaultSpec | undefined {
    for (const a of this.armed) {
      const target = a.spec.endpoint;
      if (target !== "*" && !(expandEndpoint(target) ?? []).includes(endpoint)) continue;
      if (a.spec.percent !== undefined) {
        const fire = unit(hash32(this.seed, a.serial, a.seen++, 0xfa)) * 100 < a.spec.percent;
        if (fire) return a.spec;
        continue;
      }
      a.remaining--;
      if (a.remaining <= 0) this.armed = this.armed.filter((x) => x !== a);
      return a.spec;
    }
    return undefined;
  }
}
