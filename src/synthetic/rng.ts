/**
 * Small, fast, deterministic randomness for the synthetic generator (not for anything secret).
 * Each generated person gets its own stream seeded from (seed, index), so a row never depends on the rows before it.
 */

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers that spreads every input bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of a few integers. */
export function hash32(a: number, b = 0, c = 0): number {
  return mix32(mix32(mix32(a ^ 0x9e3779b9) ^ b) + Math.imul(c, 0x27d4eb2f));
}

/** sfc32, re-seedable without allocating: one instance serves every row. */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  constructor(seed = 0, stream = 0) {
    this.reseed(seed, stream);
  }

  reseed(seed: number, stream: number): this {
    this.a = hash32(seed, stream, 1);
    this.b = hash32(seed, stream, 2);
    this.c = hash32(seed, stream, 3);
    this.d = 1;
    for (let i = 0; i < 8; i++) this.next32();
    return this;
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Head-heavy pick: the first items of a list ordered by frequency come out far more often (rank ~ u²). */
  pickFrequent<T>(items: readonly T[]): T {
    const u = this.float();
    return items[Math.floor(u * u * items.length)];
  }
}

/** Cumulative weights for weighted picks by binary search. */
export class WeightedTable<T> {
  private readonly cumulative: Float64Array;
  readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    if (items.length === 0 || items.length !== weights.length)
      throw new Error('a weighted table needs as many weights as items, at least one');
    this.cumulative = new Float64Array(items.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0)) throw new Error('weights must be non-negative numbers');
      sum += weights[i];
      this.cumulative[i] = sum;
    }
    if (sum <= 0) throw new Error('weights must not all be zero');
    this.total = sum;
  }

  pick(rng: Rng): T {
    const x = rng.float() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }
}
