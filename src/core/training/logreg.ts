/**
 * Multinomial logistic regression with an L2 penalty — the DinoBloom paper's linear probe — in
 * pure TypeScript: one implementation for the training worker (browser) and `npm run train-head`.
 *
 * Semantics follow scikit-learn's `LogisticRegression(C=C, solver='lbfgs')` for more than two
 * classes: full C×D weight matrix plus unpenalised bias, minimising
 *
 *     sum_i CE(softmax(W x_i + b), y_i) + 1/(2C) ||W||²
 *
 * which we scale by 1/n like scikit-learn does (same minimiser; `loss` is this mean objective).
 * Stopping rule as scikit-learn + scipy L-BFGS-B: max |gradient| <= tol (default 1e-4), or a
 * relative objective decrease below 64·eps, or maxIter iterations (default 500; sklearn's default
 * is 100).
 *
 * Features are standardised internally (mean 0, unit variance per dimension; zero-variance
 * dimensions are left unscaled, like StandardScaler), so the penalty applies to standardised
 * weights — i.e. this equals sklearn's `make_pipeline(StandardScaler(), LogisticRegression(...))`.
 * The standardisation is folded back into the returned weight/bias, which therefore apply to raw
 * embeddings.
 *
 * Warm starts: `init` (and the returned `theta`) are parameters in standardised space, so a fit at
 * one C can start from the solution at a neighbouring C (src/core/training/selectC.ts).
 */
import { lbfgsSteps, type LbfgsStep } from './lbfgs.ts';
import { drain, type Steps } from './steps.ts';

export { lbfgs, lbfgsSteps, type LbfgsStep } from './lbfgs.ts';

export interface LogRegOptions {
  /** inverse regularisation strength (sklearn's C), default 1 */
  C?: number;
  /** maximum L-BFGS iterations, default 500 */
  maxIter?: number;
  /** stop when max |gradient| of the mean objective <= tol, default 1e-4 */
  tol?: number;
  /** L-BFGS history size, default 10 */
  memory?: number;
  /** starting parameters in standardised space (a previous result's `theta`), default zeros */
  init?: Float64Array;
  /** called after every iteration with the mean objective */
  onProgress?: (iter: number, loss: number) => void;
}

export interface LogRegResult {
  /** numClasses × d, row-major, applies to raw (unstandardised) features */
  weight: Float32Array;
  bias: Float32Array;
  iterations: number;
  /** final mean objective: mean cross-entropy + ||W_std||² / (2 C n) */
  loss: number;
  converged: boolean;
  /** the solution in standardised space [W (K×d), b (K)], for warm starts */
  theta: Float64Array;
}

/** Per-feature mean and standard deviation (population), std 0 → 1. */
export function featureStats(X: Float32Array, n: number, d: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(d);
  const m2 = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) mean[j]! += X[o + j]!;
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const t = X[o + j]! - mean[j]!;
      m2[j]! += t * t;
    }
  }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(m2[j]! / n);
    // StandardScaler: scale 1 for (near-)constant features
    std[j] = s < 10 * Number.EPSILON * Math.max(1, Math.abs(mean[j]!)) ? 1 : s;
  }
  return { mean, std };
}

/** (X - mean) / std, row by row. */
export function standardize(X: Float32Array, n: number, d: number, mean: Float64Array, std: Float64Array): Float32Array {
  const Xs = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) Xs[o + j] = (X[o + j]! - mean[j]!) / std[j]!;
  }
  return Xs;
}

/** Fold the standardisation back: W x_s + b = (W / std) x + (b - W (mean / std)). */
export function unstandardize(theta: Float64Array, mean: Float64Array, std: Float64Array, K: number, d: number): { weight: Float32Array; bias: Float32Array } {
  const weight = new Float32Array(K * d);
  const bias = new Float32Array(K);
  for (let c = 0; c < K; c++) {
    let b = theta[K * d + c]!;
    for (let j = 0; j < d; j++) {
      const w = theta[c * d + j]! / std[j]!;
      weight[c * d + j] = w;
      b -= w * mean[j]!;
    }
    bias[c] = b;
  }
  return { weight, bias };
}

/**
 * Mean objective and its gradient at theta = [W (K×d) row-major, b (K)] for standardised data.
 * Exported for tests (gradient check).
 *
 * Hot loop of all training: classes are processed four at a time so that each feature value is
 * loaded once for four dot products / four gradient rows (1.8× faster than one class at a time in
 * V8: 40 vs 72 ms per evaluation at 10,000 × 384 × 8 classes).
 */
export function objective(
  theta: Float64Array,
  grad: Float64Array,
  Xs: Float32Array,
  y: Int32Array,
  n: number,
  d: number,
  K: number,
  C: number,
  z: Float64Array = new Float64Array(K),
): number {
  const bOff = K * d;
  grad.fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    let max = -Infinity;
    let c = 0;
    for (; c + 3 < K; c += 4) {
      const w0 = c * d;
      const w1 = w0 + d;
      const w2 = w1 + d;
      const w3 = w2 + d;
      let s0 = theta[bOff + c]!;
      let s1 = theta[bOff + c + 1]!;
      let s2 = theta[bOff + c + 2]!;
      let s3 = theta[bOff + c + 3]!;
      for (let j = 0; j < d; j++) {
        const x = Xs[xo + j]!;
        s0 += theta[w0 + j]! * x;
        s1 += theta[w1 + j]! * x;
        s2 += theta[w2 + j]! * x;
        s3 += theta[w3 + j]! * x;
      }
      z[c] = s0;
      z[c + 1] = s1;
      z[c + 2] = s2;
      z[c + 3] = s3;
      max = Math.max(max, s0, s1, s2, s3);
    }
    for (; c < K; c++) {
      const wo = c * d;
      let s0 = theta[bOff + c]!;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < d; j += 2) {
        s0 += theta[wo + j]! * Xs[xo + j]!;
        s1 += theta[wo + j + 1]! * Xs[xo + j + 1]!;
      }
      for (; j < d; j++) s0 += theta[wo + j]! * Xs[xo + j]!;
      const s = s0 + s1;
      z[c] = s;
      if (s > max) max = s;
    }
    const yi = y[i]!;
    const zy = z[yi]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(z[k]! - max);
      z[k] = e;
      sum += e;
    }
    loss += Math.log(sum) + max - zy; // logsumexp(z) - z_y
    const inv = 1 / sum;
    for (let k = 0; k < K; k++) z[k] = z[k]! * inv - (k === yi ? 1 : 0); // residual p - onehot
    c = 0;
    for (; c + 3 < K; c += 4) {
      const r0 = z[c]!;
      const r1 = z[c + 1]!;
      const r2 = z[c + 2]!;
      const r3 = z[c + 3]!;
      grad[bOff + c]! += r0;
      grad[bOff + c + 1]! += r1;
      grad[bOff + c + 2]! += r2;
      grad[bOff + c + 3]! += r3;
      const w0 = c * d;
      const w1 = w0 + d;
      const w2 = w1 + d;
      const w3 = w2 + d;
      for (let j = 0; j < d; j++) {
        const x = Xs[xo + j]!;
        grad[w0 + j]! += r0 * x;
        grad[w1 + j]! += r1 * x;
        grad[w2 + j]! += r2 * x;
        grad[w3 + j]! += r3 * x;
      }
    }
    for (; c < K; c++) {
      const r = z[c]!;
      grad[bOff + c]! += r;
      const wo = c * d;
      for (let j = 0; j < d; j++) grad[wo + j]! += r * Xs[xo + j]!;
    }
  }
  const invN = 1 / n;
  const lam = 1 / (C * n);
  let reg = 0;
  for (let k = 0; k < bOff; k++) {
    const w = theta[k]!;
    reg += w * w;
    grad[k] = grad[k]! * invN + lam * w;
  }
  for (let c = 0; c < K; c++) grad[bOff + c] = grad[bOff + c]! * invN;
  return loss * invN + 0.5 * lam * reg;
}

export function checkTrainingInput(X: Float32Array, n: number, d: number, y: Int32Array, K: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1) throw new RangeError(`invalid shape ${n}×${d}`);
  if (X.length < n * d) throw new RangeError(`X has ${X.length} values, expected ${n}×${d}`);
  if (y.length < n) throw new RangeError(`y has ${y.length} labels, expected ${n}`);
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`numClasses must be >= 2, got ${K}`);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (v < 0 || v >= K) throw new RangeError(`label y[${i}] = ${v} is outside [0, ${K})`);
  }
}

export interface StandardizedFit {
  theta: Float64Array;
  iterations: number;
  loss: number;
  converged: boolean;
}

/** Fit on already standardised data; yields after every L-BFGS iteration. */
export function* fitStandardizedSteps(
  Xs: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  K: number,
  opts: { C: number; maxIter?: number; tol?: number; memory?: number; init?: Float64Array },
): Steps<LbfgsStep, StandardizedFit> {
  const { C } = opts;
  if (!(C > 0)) throw new RangeError(`C must be > 0, got ${C}`);
  const size = K * d + K;
  if (opts.init && opts.init.length !== size) throw new RangeError(`init has ${opts.init.length} values, expected ${size}`);
  const z = new Float64Array(K);
  const res = yield* lbfgsSteps((th, g) => objective(th, g, Xs, y, n, d, K, C, z), opts.init ?? new Float64Array(size), {
    maxIter: opts.maxIter ?? 500,
    gtol: opts.tol ?? 1e-4,
    memory: opts.memory ?? 10,
  });
  return { theta: res.x, iterations: res.iterations, loss: res.f, converged: res.converged };
}

/** Step-generator form of trainLogisticRegression (what the training worker runs). */
export function* logisticRegressionSteps(
  X: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  numClasses: number,
  opts: Omit<LogRegOptions, 'onProgress'> = {},
): Steps<LbfgsStep, LogRegResult> {
  const K = numClasses;
  checkTrainingInput(X, n, d, y, K);
  const { mean, std } = featureStats(X, n, d);
  const Xs = standardize(X, n, d, mean, std);
  const fit = yield* fitStandardizedSteps(Xs, n, d, y, K, { ...opts, C: opts.C ?? 1 });
  const { weight, bias } = unstandardize(fit.theta, mean, std, K, d);
  return { weight, bias, iterations: fit.iterations, loss: fit.loss, converged: fit.converged, theta: fit.theta };
}

/**
 * Train a multinomial L2 logistic regression on X (n × d, row-major) with labels y in
 * [0, numClasses). Returns weight (numClasses × d) and bias for raw features.
 */
export function trainLogisticRegression(
  X: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  numClasses: number,
  opts: LogRegOptions = {},
): LogRegResult {
  const { onProgress, ...rest } = opts;
  return drain(logisticRegressionSteps(X, n, d, y, numClasses, rest), onProgress ? (s) => s.iteration > 0 && onProgress(s.iteration, s.f) : undefined);
}

/** Raw logits (n × K) of a linear model on raw features. */
export function linearLogits(weight: Float32Array, bias: Float32Array, X: Float32Array, n: number, d: number, K: number): Float64Array {
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    for (let c = 0; c < K; c++) {
      const wo = c * d;
      let s0 = bias[c]!;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < d; j += 2) {
        s0 += weight[wo + j]! * X[xo + j]!;
        s1 += weight[wo + j + 1]! * X[xo + j + 1]!;
      }
      for (; j < d; j++) s0 += weight[wo + j]! * X[xo + j]!;
      out[i * K + c] = s0 + s1;
    }
  }
  return out;
}

/** Index of the largest value in each row of an n × K matrix (ties: lower index). */
export function argmaxRows(m: ArrayLike<number>, n: number, K: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (m[i * K + c]! > m[i * K + best]!) best = c;
    out[i] = best;
  }
  return out;
}
