/**
 * The information-theoretic bound of a sorted set: a set of `k` serials chosen among `n` possible ones is one of
 * C(n, k) equally likely sets, so no exact encoding can average fewer than log2 C(n, k) bits for it.
 */

/** log2 C(n, k), exact to about 1e-9 relative for any n up to 2^53 (no big factorials: no cancellation). */
export function log2Binomial(n: number, k: number): number {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(k) || k < 0 || n < 0)
    throw new RangeError('log2Binomial: whole numbers >= 0');
  if (k > n) return -Infinity;
  const m = Math.min(k, n - k);
  if (m === 0) return 0;
  if (m <= 1000) {
    // C(n, m) = prod_{i=1..m} (n - m + i) / i
    let s = 0;
    for (let i = 1; i <= m; i++) s += Math.log((n - m + i) / i);
    return s / Math.LN2;
  }
  // Stirling for ln n! - ln k! - ln (n-k)!, the large terms gathered so nothing cancels:
  // n ln n - k ln k - (n-k) ln(n-k) = k ln(n/k) + (n-k) ln(n/(n-k)).
  const j = n - k;
  const corr = (x: number) => 1 / (12 * x) - 1 / (360 * x ** 3);
  const nats =
    k * Math.log(n / k) -
    j * Math.log1p(-k / n) +
    0.5 * Math.log(n / (2 * Math.PI * k * j)) +
    corr(n) -
    corr(k) -
    corr(j);
  return nats / Math.LN2;
}

/** Bytes per entry of the bound: log2 C(n, k) / k / 8. */
export function entropyBytesPerEntry(n: number, k: number): number {
  return k === 0 ? 0 : log2Binomial(n, k) / k / 8;
}
