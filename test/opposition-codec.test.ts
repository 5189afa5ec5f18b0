import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  applyIncrementals, decodeCompact, decodeText, encodeCompact, encodeText, type FullList, type IncrementalList, ListFormatError, MAX_SERIAL,
  riceParameter, signedStatement, sha256, verifyListFile,
} from '../src/opposition/list-codec.js';

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct serials: mostly a dense issued range (as the serial allocator gives), a few anywhere. */
function serialSet(r: () => number, n: number, start = 100_000_000_000, span = n * 8): number[] {
  const s = new Set<number>();
  while (s.size < n) s.add(r() < 0.98 ? start + Math.floor(r() * span) : 1 + Math.floor(r() * MAX_SERIAL));
  return [...s].sort((a, b) => a - b);
}

const at = new Date('2026-11-18T00:30:00.000Z');
const full = (number: number, serials: number[]): FullList => ({ kind: 'full', number, baseNumber: null, producedAt: at, serials });

describe('opposition list codec', () => {
  it('round-trips random sets, the empty set, one entry and the largest serial in both formats', () => {
    const r = rng(42);
    const sets = [[], [1], [MAX_SERIAL], [1, MAX_SERIAL], [7, 8, 9, 10], serialSet(r, 1000), serialSet(r, 5000, 1, 5000 * 1000), serialSet(r, 300, 900_000_000_000)];
    for (const [i, serials] of sets.entries()) {
      const list = full(i + 1, serials);
      expect(decodeCompact(encodeCompact(list))).toEqual(list);
      expect(decodeText(encodeText(list))).toEqual(list);
      const inc: IncrementalList = { kind: 'incremental', number: i + 2, baseNumber: i + 1, producedAt: at, additions: serials.filter((_, j) => j % 2 === 0), removals: serials.filter((_, j) => j % 2 === 1) };
      expect(decodeCompact(encodeCompact(inc))).toEqual(inc);
      expect(decodeText(encodeText(inc))).toEqual(inc);
    }
  });

  it('writes the documented text layout', () => {
    const text = encodeText({ kind: 'incremental', number: 8, baseNumber: 7, producedAt: at, additions: [100000000042], removals: [5] }).toString();
    const lines = text.split('\n');
    expect(lines.slice(0, 10)).toEqual([
      'VITALE-OPPOSITION-LIST/1', 'kind: incremental', 'number: 8', 'base: 7', 'produced-at: 2026-11-18T00:30:00.000Z', 'count: 2', 'additions: 1', 'removals: 1',
      '-000000000005', '+100000000042',
    ]);
    expect(lines[10]).toBe(`sha256: ${sha256(text.slice(0, text.indexOf('sha256: ')))}`);
  });

  it('stays under 1 MB per million entries for realistic serial sets', () => {
    const serials = serialSet(rng(7), 200_000);
    const bytes = encodeCompact(full(1, serials)).length;
    expect(bytes / serials.length).toBeLessThan(1.0);
    expect(riceParameter(Float64Array.from([7, 9, 8, 1e9]))).toBe(3);
  });

  it('refuses damaged files', () => {
    const list = full(3, serialSet(rng(3), 100));
    const text = encodeText(list);
    const t2 = Buffer.from(text); t2[60] ^= 0x01;
    expect(() => decodeText(t2)).toThrow(ListFormatError);
    const c = encodeCompact(list);
    expect(() => decodeCompact(c.subarray(0, c.length - 1))).toThrow(ListFormatError);
    expect(() => encodeCompact(full(1, [5, 3]))).toThrow(ListFormatError);
  });

  it('chaining: a full list plus the incremental lists after it gives exactly the next full list', () => {
    const r = rng(11);
    let current = new Set(serialSet(r, 2000));
    const base = full(10, [...current].sort((a, b) => a - b));
    const incs: IncrementalList[] = [];
    for (let n = 11; n <= 15; n++) {
      const before = new Set(current);
      for (const s of [...current]) if (r() < 0.05) current.delete(s);
      for (const s of serialSet(r, 50)) current.add(s);
      const additions = [...current].filter((s) => !before.has(s)).sort((a, b) => a - b);
      const removals = [...before].filter((s) => !current.has(s)).sort((a, b) => a - b);
      // through the wire formats
      incs.push(decodeCompact(encodeCompact({ kind: 'incremental', number: n, baseNumber: 10, producedAt: at, additions, removals })) as IncrementalList);
    }
    const next = decodeText(encodeText(full(16, [...current].sort((a, b) => a - b)))) as FullList;
    expect(applyIncrementals(decodeCompact(encodeCompact(base)) as FullList, incs)).toEqual(next.serials);
    expect(() => applyIncrementals(base, [{ ...incs[0], baseNumber: 9 }])).toThrow(ListFormatError);
  });

  it('verifies a detached signature, and a flipped byte fails it', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const file = encodeCompact(full(4, serialSet(rng(5), 500)));
    const sig = { keyId: 'k', algorithm: 'Ed25519' as const, signature: sign(null, Buffer.from(signedStatement('full', 4, 'compact', sha256(file))), privateKey).toString('base64') };
    expect(verifyListFile(file, 'full', 4, 'compact', sig, pem)).toBe(true);
    const flipped = Buffer.from(file); flipped[flipped.length >> 1] ^= 0x10;
    expect(verifyListFile(flipped, 'full', 4, 'compact', sig, pem)).toBe(false);
    expect(verifyListFile(file, 'full', 5, 'compact', sig, pem)).toBe(false);
  });
});
