/**
 * Unique-by-construction identifiers. Four 32-bit coordinates (for events:
 * hour, index in the hour, type, seed) go through an invertible mix, so two
 * different coordinate tuples can never give the same id, yet the ids look
 * random.
 */
import { fmix32 } from "./prng.js";

/** Character codes of the hex digits. */
const D = Uint8Array.from("0123456789abcdef", (ch) => ch.charCodeAt(0));

/** 8 hex digits as one flat string (no concatenation chain). */
function hex32(w: number): string {
  return String.fromCharCode(
    D[w >>> 28] as number,
    D[(w >>> 24) & 15] as number,
    D[(w >>> 20) & 15] as number,
    D[(w >>> 16) & 15] as number,
    D[(w >>> 12) & 15] as number,
    D[(w >>> 8) & 15] as number,
    D[(w >>> 4) & 15] as number,
    D[w & 15] as number,
  );
}

const mixed = new Uint32Array(4);

/** A bijection on 128 bits (a Feistel-like network: each step XORs one word with a function of the others). */
function mix128(a0: number, b0: number, c0: number, d0: number): Uint32Array {
  let a = a0 >>> 0;
  let b = b0 >>> 0;
  let c = c0 >>> 0;
  let d = d0 >>> 0;
  for (let round = 0; round < 2; round++) {
    a = (a ^ fmix32(b + round)) >>> 0;
    b = (b ^ fmix32(c ^ a)) >>> 0;
    c = (c ^ fmix32(d + a)) >>> 0;
    d = (d ^ fmix32(a ^ b ^ c)) >>> 0;
  }
  mixed[0] = a;
  mixed[1] = b;
  mixed[2] = c;
  mixed[3] = d;
  return mixed;
}

/** 32 lowercase hex characters, unique per (a, b, c, d). */
export function uniqueHex(a: number, b: number, c: number, d: number): string {
  const m = mix128(a, b, c, d);
  const w0 = m[0] as number;
  const w1 = m[1] as number;
  const w2 = m[2] as number;
  const w3 = m[3] as number;
  return String.fromCharCode(
    D[w0 >>> 28] as number, D[(w0 >>> 24) & 15] as number, D[(w0 >>> 20) & 15] as number, D[(w0 >>> 16) & 15] as number,
    D[(w0 >>> 12) & 15] as number, D[(w0 >>> 8) & 15] as number, D[(w0 >>> 4) & 15] as number, D[w0 & 15] as number,
    D[w1 >>> 28] as number, D[(w1 >>> 24) & 15] as number, D[(w1 >>> 20) & 15] as number, D[(w1 >>> 16) & 15] as number,
    D[(w1 >>> 12) & 15] as number, D[(w1 >>> 8) & 15] as number, D[(w1 >>> 4) & 15] as number, D[w1 & 15] as number,
    D[w2 >>> 28] as number, D[(w2 >>> 24) & 15] as number, D[(w2 >>> 20) & 15] as number, D[(w2 >>> 16) & 15] as number,
    D[(w2 >>> 12) & 15] as number, D[(w2 >>> 8) & 15] as number, D[(w2 >>> 4) & 15] as number, D[w2 & 15] as number,
    D[w3 >>> 28] as number, D[(w3 >>> 24) & 15] as number, D[(w3 >>> 20) & 15] as number, D[(w3 >>> 16) & 15] as number,
    D[(w3 >>> 12) & 15] as number, D[(w3 >>> 8) & 15] as number, D[(w3 >>> 4) & 15] as number, D[w3 & 15] as number,
  );
}

/** A UUID-shaped (8-4-4-4-12) id, unique per (a, b, c, d). */
export function uniqueUuid(a: number, b: number, c: number, d: number): string {
  const h = uniqueHex(a, b, c, d);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** 8 hex characters of a 32-bit value. */
export function hex8(w: number): string {
  return hex32(w >>> 0);
}
