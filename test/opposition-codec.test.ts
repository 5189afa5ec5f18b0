import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyIncrementals,
  decodeCompact,
  decodeText,
  encodeCompact,
  encodeText,
  type FullList,
  type IncrementalList,
  ListFormatError,
  MAX_SERIAL,
  riceBlockBits,
  riceParameter,
  signedStatement,
  sha256,
  verifyListFile,
} from '../src/opposition/list-codec.js';
import { entropyBytesPerEntry, log2Binomial } from '../bench/support/entropy.js';

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each of `issued` serials from `start` opposed with probability p, drawn by geometric gaps (the same law as one
 * draw per serial, without visiting every serial).
 */
function bernoulliSet(r: () => number, p: number, issued: number, start = 100_000_000_001): number[] {
  const out: number[] = [];
  const lnq = Math.log1p(-p);
  for (let at = start - 1; ;) {
    at += 1 + Math.floor(Math.log(1 - r()) / lnq);
    if (at >= start + issued) return out;
    out.push(at);
  }
}

/** `n` distinct serials: mostly a dense issued range (as the serial allocator gives), a few anywhere. */
function serialSet(r: () => number, n: number, start = 100_000_000_000, span = n * 8): number[] {
  const s = new Set<number>();
  while (s.size < n) s.add(r() < 0.98 ? start + Math.floor(r() * span) : 1 + Math.floor(r() * MAX_SERIAL));
  return [...s].sort((a, b) => a - b);
}

const at = new Date('2026-11-18T00:30:00.000Z');
const full = (number: number, serials: number[]): FullList => ({
  kind: 'full',
  number,
  baseNumber: null,
  producedAt: at,
  serials,
});

describe('opposition list codec', () => {
  it('round-trips random sets, the empty set, one entry and the largest serial in both formats', () => {
    const r = rng(42);
    const sets = [
      [],
      [1],
      [MAX_SERIAL],
      [1, MAX_SERIAL],
      [7, 8, 9, 10],
      serialSet(r, 1000),
      serialSet(r, 5000, 1, 5000 * 1000),
      serialSet(r, 300, 900_000_000_000),
    ];
    for (const [i, serials] of sets.entries()) {
      const list = full(i + 1, serials);
      expect(decodeCompact(encodeCompact(list))).toEqual(list);
      expect(decodeText(encodeText(list))).toEqual(list);
      const inc: IncrementalList = {
        kind: 'incremental',
        number: i + 2,
        baseNumber: i + 1,
        producedAt: at,
        additions: serials.filter((_, j) => j % 2 === 0),
        removals: serials.filter((_, j) => j % 2 === 1),
      };
      expect(decodeCompact(encodeCompact(inc))).toEqual(inc);
      expect(decodeText(encodeText(inc))).toEqual(inc);
    }
  });

  it('writes the documented text layout', () => {
    const text = encodeText({
      kind: 'incremental',
      number: 8,
      baseNumber: 7,
      producedAt: at,
      additions: [100000000042],
      removals: [5],
    }).toString();
    const lines = text.split('\n');
    expect(lines.slice(0, 10)).toEqual([
      'VITALE-OPPOSITION-LIST/1',
      'kind: incremental',
      'number: 8',
      'base: 7',
      'produced-at: 2026-11-18T00:30:00.000Z',
      'count: 2',
      'additions: 1',
      'removals: 1',
      '-000000000005',
      '+100000000042',
    ]);
    expect(lines[10]).toBe(`sha256: ${sha256(text.slice(0, text.indexOf('sha256: ')))}`);
  });

  it('stays under 1 MB per million entries for realistic serial sets', () => {
    const serials = serialSet(rng(7), 200_000);
    const bytes = encodeCompact(full(1, serials)).length;
    expect(bytes / serials.length).toBeLessThan(1.0);
    expect(riceParameter(Float64Array.from([7, 9, 8, 1e9]))).toBe(3);
  });

  it('round-trips random sets at every density, within 10 % of their entropy bound from one card in two to one in 100,000', () => {
    const r = rng(2026);
    for (const [p, issued] of [
      [1 / 2, 60_000],
      [1 / 4, 120_000],
      [1 / 15, 450_000],
      [1 / 100, 3_000_000],
      [1 / 1000, 30_000_000],
      [1 / 100_000, 3_000_000_000],
      [0.9, 30_000],
    ]) {
      const serials = bernoulliSet(r, p, issued);
      const list = full(1, serials);
      const file = encodeCompact(list);
      expect(decodeCompact(file), `p = ${p}`).toEqual(list);
      const perEntry = file.length / serials.length;
      const bound = entropyBytesPerEntry(issued, serials.length);
      // Rice codes spend at least one bit per entry: past one card in two that floor is above the bound.
      if (p <= 0.5) expect(perEntry / bound, `p = ${p}: ${perEntry} B/entry, bound ${bound}`).toBeLessThan(1.1);
      else expect(perEntry).toBeLessThan(0.15); // at 0.9: 1.11 bits per entry
      if (p === 1 / 15) expect(perEntry).toBeLessThan(0.69); // the realistic density: 0.662 is the bound
    }
  });

  it('gives each block the Rice parameter that makes it shortest', () => {
    const r = rng(99);
    for (const mean of [0.3, 1, 3, 14, 100, 5000, 1e7]) {
      const gaps = Float64Array.from({ length: 1024 }, () => Math.floor(-Math.log(1 - r()) * mean));
      gaps[7] = 99_999_999_999; // one far-away serial: escaped whatever k
      const best = Math.min(...Array.from({ length: 40 }, (_, k) => riceBlockBits(gaps, k)));
      expect(riceBlockBits(gaps, riceParameter(gaps)), `mean gap ${mean}`).toBe(best);
    }
  });

  it('computes the entropy bound log2 C(n, k) exactly enough', () => {
    const exact = (n: number, k: number) => {
      let s = 0;
      for (let i = 1; i <= k; i++) s += Math.log2((n - k + i) / i);
      return s;
    };
    expect(log2Binomial(10, 3)).toBeCloseTo(Math.log2(120), 12);
    for (const [n, k] of [
      [150_000, 10_000],
      [3_000_000, 1_500_000],
      [150_000_000, 10_000_000],
    ]) {
      expect(Math.abs(log2Binomial(n, k) / exact(n, k) - 1), `C(${n}, ${k})`).toBeLessThan(1e-9);
    }
    // 10 M among 150 M: H(1/15) x 15 bits per entry
    expect(entropyBytesPerEntry(150_000_000, 10_000_000)).toBeCloseTo(0.6625, 3);
  });

  it('encodes the compact example of docs/formats/opposition-list.md byte for byte', () => {
    const doc = readFileSync(new URL('../docs/formats/opposition-list.md', import.meta.url), 'utf8');
    const hex = /Example: the full list 41 above \(37 bytes\):\n\n```\n([0-9a-f \n]+)```/
      .exec(doc)?.[1]
      .replace(/\s+/g, '');
    const list = full(41, [100000000042, 100000000045, 100000000051]);
    expect(encodeCompact(list).toString('hex')).toBe(hex);
    expect(decodeCompact(Buffer.from(hex!, 'hex'))).toEqual(list);
  });

  it('refuses damaged files', () => {
    const list = full(3, serialSet(rng(3), 100));
    const text = encodeText(list);
    const t2 = Buffer.from(text);
    t2[60] ^= 0x01;
    expect(() => decodeText(t2)).toThrow(ListFormatError);
    const c = encodeCompact(list);
    expect(() => decodeCompact(c.subarray(0, c.length - 1))).toThrow(ListFormatError);
    expect(() => encodeCompact(full(1, [5, 3]))).toThrow(ListFormatError);
  });

  it('chaining: a full list plus the incremental lists after it gives exactly the next full list', () => {
    const r = rng(11);
    const current = new Set(serialSet(r, 2000));
    const base = full(
      10,
      [...current].sort((a, b) => a - b),
    );
    const incs: IncrementalList[] = [];
    for (let n = 11; n <= 15; n++) {
      const before = new Set(current);
      for (const s of [...current]) if (r() < 0.05) current.delete(s);
      for (const s of serialSet(r, 50)) current.add(s);
      const additions = [...current].filter((s) => !before.has(s)).sort((a, b) => a - b);
      const removals = [...before].filter((s) => !current.has(s)).sort((a, b) => a - b);
      // through the wire formats
      incs.push(
        decodeCompact(
          encodeCompact({ kind: 'incremental', number: n, baseNumber: 10, producedAt: at, additions, removals }),
        ) as IncrementalList,
      );
    }
    const next = decodeText(
      encodeText(
        full(
          16,
          [...current].sort((a, b) => a - b),
        ),
      ),
    ) as FullList;
    expect(applyIncrementals(decodeCompact(encodeCompact(base)) as FullList, incs)).toEqual(next.serials);
    expect(() => applyIncrementals(base, [{ ...incs[0], baseNumber: 9 }])).toThrow(ListFormatError);
  });

  it('verifies a detached signature, and a flipped byte fails it', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const file = encodeCompact(full(4, serialSet(rng(5), 500)));
    const sig = {
      keyId: 'k',
      algorithm: 'Ed25519' as const,
      signature: sign(null, Buffer.from(signedStatement('full', 4, 'compact', sha256(file))), privateKey).toString(
        'base64',
      ),
    };
    expect(verifyListFile(file, 'full', 4, 'compact', sig, pem)).toBe(true);
    const flipped = Buffer.from(file);
    flipped[flipped.length >> 1] ^= 0x10;
    expect(verifyListFile(flipped, 'full', 4, 'compact', sig, pem)).toBe(false);
    expect(verifyListFile(file, 'full', 5, 'compact', sig, pem)).toBe(false);
  });
});
