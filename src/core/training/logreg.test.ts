import { describe, expect, it } from 'vitest';
import { applyHead } from '../head.ts';
import { lbfgs, objective, trainLogisticRegression } from './logreg.ts';

/** deterministic PRNG (mulberry32) + Box-Muller */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** K Gaussian blobs in d dimensions with very different feature scales and offsets. */
function blobs(n: number, d: number, K: number, sep: number, seed: number) {
  const r = rng(seed);
  const centers = Array.from({ length: K }, () => Array.from({ length: d }, () => gauss(r) * sep));
  const scale = Array.from({ length: d }, (_, j) => 10 ** ((j % 5) - 2)); // 0.01 .. 100
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    y[i] = c;
    for (let j = 0; j < d; j++) X[i * d + j] = (centers[c]![j]! + gauss(r)) * scale[j]! + 5 * scale[j]!;
  }
  return { X, y };
}

function accuracyOf(weight: Float32Array, bias: Float32Array, X: Float32Array, y: Int32Array, n: number, d: number, K: number) {
  const probs = applyHead({ classes: Array.from({ length: K }, (_, i) => String(i)), inputDim: d, weight, bias }, X, n);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (probs[i * K + c]! > probs[i * K + best]!) best = c;
    if (best === y[i]) ok++;
  }
  return ok / n;
}

describe('objective', () => {
  it('gradient matches finite differences', () => {
    const n = 20;
    const d = 4;
    const K = 3;
    const { X, y } = blobs(n, d, K, 1, 1);
    const r = rng(7);
    const theta = Float64Array.from({ length: K * d + K }, () => gauss(r) * 0.3);
    const g = new Float64Array(theta.length);
    const f0 = objective(theta, g, X, y, n, d, K, 0.5);
    expect(Number.isFinite(f0)).toBe(true);
    const tmp = new Float64Array(theta.length);
    for (let k = 0; k < theta.length; k++) {
      const h = 1e-6;
      const tp = Float64Array.from(theta);
      const tm = Float64Array.from(theta);
      tp[k]! += h;
      tm[k]! -= h;
      const num = (objective(tp, tmp, X, y, n, d, K, 0.5) - objective(tm, tmp, X, y, n, d, K, 0.5)) / (2 * h);
      expect(Math.abs(num - g[k]!)).toBeLessThan(1e-6);
    }
  });
});

describe('lbfgs', () => {
  it('minimises the Rosenbrock function', () => {
    const res = lbfgs(
      (x, g) => {
        const a = x[0]!;
        const b = x[1]!;
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      new Float64Array([-1.2, 1]),
      { maxIter: 200, gtol: 1e-8 },
    );
    expect(res.converged).toBe(true);
    expect(res.x[0]).toBeCloseTo(1, 5);
    expect(res.x[1]).toBeCloseTo(1, 5);
  });
});

describe('trainLogisticRegression', () => {
  it('separates a separable problem; loss decreases; weights apply to raw features', () => {
    const n = 300;
    const d = 10;
    const K = 4;
    const { X, y } = blobs(n, d, K, 4, 3);
    const losses: number[] = [];
    const res = trainLogisticRegression(X, n, d, y, K, { C: 1, maxIter: 200, onProgress: (_i, l) => losses.push(l) });
    expect(res.iterations).toBeGreaterThan(1);
    expect(losses.length).toBe(res.iterations);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThanOrEqual(losses[i - 1]! + 1e-12);
    expect(losses[losses.length - 1]).toBeLessThan(Math.log(K));
    expect(res.converged).toBe(true);
    expect(accuracyOf(res.weight, res.bias, X, y, n, d, K)).toBe(1);

    // a fresh test set from the same blobs
    const test = blobs(200, d, K, 4, 3);
    expect(accuracyOf(res.weight, res.bias, test.X, test.y, 200, d, K)).toBeGreaterThan(0.95);
  });

  it('stronger regularisation gives smaller weights and a larger loss', () => {
    const n = 120;
    const d = 6;
    const K = 3;
    const { X, y } = blobs(n, d, K, 3, 11);
    const strong = trainLogisticRegression(X, n, d, y, K, { C: 0.01 });
    const weak = trainLogisticRegression(X, n, d, y, K, { C: 10 });
    const norm = (w: Float32Array) => Math.sqrt(w.reduce((a, v) => a + v * v, 0));
    expect(norm(strong.weight)).toBeLessThan(norm(weak.weight));
    expect(strong.loss).toBeGreaterThan(weak.loss);
  });

  it('handles constant features and rejects bad labels', () => {
    const n = 40;
    const d = 3;
    const X = new Float32Array(n * d);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      X[i * d] = y[i]! ? 1 + (i % 3) * 0.1 : -1 - (i % 5) * 0.1;
      X[i * d + 1] = 7; // constant
      X[i * d + 2] = (i % 4) * 0.01;
    }
    const res = trainLogisticRegression(X, n, d, y, 2);
    expect(res.weight.every(Number.isFinite)).toBe(true);
    expect(accuracyOf(res.weight, res.bias, X, y, n, d, 2)).toBe(1);
    expect(() => trainLogisticRegression(X, n, d, new Int32Array(n).fill(2), 2)).toThrow(/outside \[0, 2\)/);
  });
});
