/**
 * Exact one-sided binomial tail, for the batch test: P(X ≥ k) for X ~ Binomial(n, p), summed in log
 * space from the tail towards the mode (so it stays accurate far out in the tail, where a batch of
 * another lab's cells lands, and for n in the tens of thousands).
 */

const LOG_FACT_TABLE = (() => {
  const t = new Float64Array(256);
  for (let i = 1; i < 256; i++) t[i] = t[i - 1]! + Math.log(i);
  return t;
})();

/** ln(n!) — a table below 256, Stirling's series (error < 1e-15 relative) above. */
export function logFactorial(n: number): number {
  if (n < 256) return LOG_FACT_TABLE[n]!;
  const x = n + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}

function logPmf(k: number, n: number, p: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** P(X ≥ k), X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (!(n >= 0) || !Number.isInteger(n) || !Number.isInteger(k)) throw new RangeError(`binomialUpperTail(${k}, ${n}, ${p})`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const ratio = p / (1 - p);
  if (k > n * p) {
    // above the mean: terms fall from j = k upwards
    let term = logPmf(k, n, p);
    let sum = 0;
    let t = 1;
    for (let j = k; j <= n; j++) {
      sum += t;
      t *= ((n - j) / (j + 1)) * ratio;
      if (t < sum * 1e-17) break;
    }
    term += Math.log(sum);
    return Math.min(1, Math.exp(term));
  }
  // at or below the mean: 1 − P(X ≤ k − 1), terms fall from j = k − 1 downwards
  let sum = 0;
  let t = 1;
  for (let j = k - 1; j >= 0; j--) {
    sum += t;
    t *= (j / (n - j + 1)) / ratio;
    if (t < sum * 1e-17) break;
  }
  return Math.max(0, 1 - Math.exp(logPmf(k - 1, n, p) + Math.log(sum)));
}
