/**
 * Seeded randomness for the fake: a 32-bit integer hash (murmur3's finaliser)
 * to derive seeds from coordinates such as (seed, type, hour, index), and a
 * mulberry32 generator that is reseeded per record so any record can be
 * generated on its own.
 */

/** murmur3 fmix32: a bijection on 32-bit integers with good avalanche. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes up to four integer coordinates into one unsigned 32-bit value. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = fmix32(a ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(b | 0, 0x85ebca6b) ^ (b / 4294967296));
  h = fmix32(h ^ Math.imul(c | 0, 0xc2b2ae35) ^ (c / 4294967296));
  return fmix32(h ^ Math.imul(d | 0, 0x27d4eb2f) ^ (d / 4294967296));
}

/** FNV-1a of a string, for turning names into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform float in [0, 1) from a 32-bit hash. */
export function unit(h: number): number {
  return (h >>> 0) / 4294967296;
}

/** mulberry32; `reset` reseeds it so one instance serves many records. */
export class Rng {
  private state = 0;

  constructor(seed = 0) {
    this.state = seed | 0;
  }

  reset(seed: number): this {
    this.state = seed | 0;
    return this;
  }

  /** An unsigned 32-bit integer. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}
