/**
 * Multinomial logistic regression with an L2 penalty — the DinoBloom paper's linear probe — in
 * pure TypeScript (Node CLI now, the browser later).
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
 */

export interface LogRegOptions {
  /** inverse regularisation strength (sklearn's C), default 1 */
  C?: number;
  /** maximum L-BFGS iterations, default 500 */
  maxIter?: number;
  /** stop when max |gradient| of the mean objective <= tol, default 1e-4 */
  tol?: number;
  /** L-BFGS history size, default 10 */
  memory?: number;
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

/**
 * Mean objective and its gradient at theta = [W (K×d) row-major, b (K)] for standardised data.
 * Exported for tests (gradient check).
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
    for (let c = 0; c < K; c++) {
      const wo = c * d;
      let s0 = theta[bOff + c]!;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      for (; j + 3 < d; j += 4) {
        s0 += theta[wo + j]! * Xs[xo + j]!;
        s1 += theta[wo + j + 1]! * Xs[xo + j + 1]!;
        s2 += theta[wo + j + 2]! * Xs[xo + j + 2]!;
        s3 += theta[wo + j + 3]! * Xs[xo + j + 3]!;
      }
      for (; j < d; j++) s0 += theta[wo + j]! * Xs[xo + j]!;
      const s = s0 + s1 + s2 + s3;
      z[c] = s;
      if (s > max) max = s;
    }
    const yi = y[i]!;
    const zy = z[yi]!;
    let sum = 0;
    for (let c = 0; c < K; c++) {
      const e = Math.exp(z[c]! - max);
      z[c] = e;
      sum += e;
    }
    loss += Math.log(sum) + max - zy; // logsumexp(z) - z_y
    const inv = 1 / sum;
    for (let c = 0; c < K; c++) {
      const r = z[c]! * inv - (c === yi ? 1 : 0);
      if (r === 0) continue;
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

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m) m = v;
  }
  return m;
}

/**
 * Minimise f with L-BFGS and a strong-Wolfe line search (Nocedal & Wright, alg. 3.5/3.6 with
 * safeguarded cubic interpolation). `fg(x, g)` returns f(x) and writes ∇f(x) into g.
 */
export function lbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: { maxIter: number; gtol: number; ftol?: number; memory?: number; onIter?: (iter: number, f: number) => void },
): { x: Float64Array; f: number; iterations: number; converged: boolean } {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const ftol = opts.ftol ?? 64 * Number.EPSILON;
  const c1 = 1e-4;
  const c2 = 0.9;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const dir = new Float64Array(n);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  let iterations = 0;
  if (maxAbs(g) <= opts.gtol) return { x, f, iterations, converged: true };

  while (iterations < opts.maxIter) {
    // two-loop recursion: dir = -H g
    for (let i = 0; i < n; i++) dir[i] = -g[i]!;
    const h = S.length;
    for (let k = h - 1; k >= 0; k--) {
      const a = rho[k]! * dot(S[k]!, dir);
      alpha[k] = a;
      const yk = Y[k]!;
      for (let i = 0; i < n; i++) dir[i]! -= a * yk[i]!;
    }
    if (h > 0) {
      const yk = Y[h - 1]!;
      const gamma = dot(S[h - 1]!, yk) / dot(yk, yk);
      for (let i = 0; i < n; i++) dir[i] = dir[i]! * gamma;
    }
    for (let k = 0; k < h; k++) {
      const b = rho[k]! * dot(Y[k]!, dir);
      const a = alpha[k]! - b;
      const sk = S[k]!;
      for (let i = 0; i < n; i++) dir[i]! += a * sk[i]!;
    }
    let dg0 = dot(g, dir);
    if (!(dg0 < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      dg0 = dot(g, dir);
    }
    const step0 = h === 0 ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;

    // --- strong Wolfe line search
    let lastA = NaN;
    let lastF = NaN;
    const evalAt = (a: number): { f: number; dg: number } => {
      for (let i = 0; i < n; i++) xt[i] = x[i]! + a * dir[i]!;
      lastA = a;
      lastF = fg(xt, gt);
      return { f: lastF, dg: dot(gt, dir) };
    };
    let accepted = -1;
    let aPrev = 0;
    let fPrev = f;
    let dgPrev = dg0;
    let a = step0;
    let lo = 0;
    let hi = 0;
    let fLo = f;
    let fHi = f;
    let dgLo = dg0;
    let dgHi = dg0;
    let bracketed = false;
    for (let ls = 0; ls < 20; ls++) {
      const t = evalAt(a);
      if (!Number.isFinite(t.f) || t.f > f + c1 * a * dg0 || (ls > 0 && t.f >= fPrev)) {
        lo = aPrev; fLo = fPrev; dgLo = dgPrev;
        hi = a; fHi = t.f; dgHi = t.dg;
        bracketed = true;
        break;
      }
      if (Math.abs(t.dg) <= -c2 * dg0) {
        accepted = a;
        break;
      }
      if (t.dg >= 0) {
        lo = a; fLo = t.f; dgLo = t.dg;
        hi = aPrev; fHi = fPrev; dgHi = dgPrev;
        bracketed = true;
        break;
      }
      aPrev = a; fPrev = t.f; dgPrev = t.dg;
      a *= 2;
    }
    if (accepted < 0 && bracketed) {
      for (let z = 0; z < 30; z++) {
        const width = hi - lo;
        if (Math.abs(width) <= 1e-12 * Math.max(1, Math.abs(lo))) break;
        // safeguarded cubic interpolation between lo and hi
        let at = NaN;
        if (Number.isFinite(fHi)) {
          const d1 = dgLo + dgHi - (3 * (fLo - fHi)) / (lo - hi);
          const disc = d1 * d1 - dgLo * dgHi;
          if (disc >= 0) {
            const d2 = Math.sign(hi - lo) * Math.sqrt(disc);
            at = hi - (hi - lo) * ((dgHi + d2 - d1) / (dgHi - dgLo + 2 * d2));
          }
        }
        const lower = Math.min(lo, hi) + 0.1 * Math.abs(width);
        const upper = Math.max(lo, hi) - 0.1 * Math.abs(width);
        if (!(at >= lower && at <= upper)) at = lo + 0.5 * width;
        const t = evalAt(at);
        if (!Number.isFinite(t.f) || t.f > f + c1 * at * dg0 || t.f >= fLo) {
          hi = at; fHi = t.f; dgHi = t.dg;
        } else {
          if (Math.abs(t.dg) <= -c2 * dg0) {
            accepted = at;
            break;
          }
          if (t.dg * (hi - lo) >= 0) {
            hi = lo; fHi = fLo; dgHi = dgLo;
          }
          lo = at; fLo = t.f; dgLo = t.dg;
        }
      }
      if (accepted < 0 && lo > 0 && fLo < f) {
        // Wolfe curvature not met within the budget: take the best sufficient-decrease point
        accepted = lo;
      }
    } else if (accepted < 0 && aPrev > 0) {
      // ran out of expansions while still descending: take the last point
      accepted = aPrev;
    }
    if (accepted >= 0 && lastA !== accepted) evalAt(accepted);
    if (accepted < 0) {
      // line search failed: no further progress possible at this precision
      return { x, f, iterations, converged: maxAbs(g) <= opts.gtol };
    }

    // xt/gt hold the accepted point
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xt[i]! - x[i]!;
      yv[i] = gt[i]! - g[i]!;
    }
    const fOld = f;
    f = lastF;
    x.set(xt);
    g.set(gt);
    iterations++;
    const sy = dot(s, yv);
    if (sy > 1e-10 * dot(yv, yv)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    opts.onIter?.(iterations, f);
    if (maxAbs(g) <= opts.gtol) return { x, f, iterations, converged: true };
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      return { x, f, iterations, converged: true };
    }
  }
  return { x, f, iterations, converged: false };
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
  const C = opts.C ?? 1;
  const maxIter = opts.maxIter ?? 500;
  const tol = opts.tol ?? 1e-4;
  const K = numClasses;
  if (!(C > 0)) throw new RangeError(`C must be > 0, got ${C}`);
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1) throw new RangeError(`invalid shape ${n}×${d}`);
  if (X.length < n * d) throw new RangeError(`X has ${X.length} values, expected ${n}×${d}`);
  if (y.length < n) throw new RangeError(`y has ${y.length} labels, expected ${n}`);
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`numClasses must be >= 2, got ${K}`);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (v < 0 || v >= K) throw new RangeError(`label y[${i}] = ${v} is outside [0, ${K})`);
  }

  const { mean, std } = featureStats(X, n, d);
  const Xs = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) Xs[o + j] = (X[o + j]! - mean[j]!) / std[j]!;
  }
  const z = new Float64Array(K);
  const theta0 = new Float64Array(K * d + K);
  const res = lbfgs((th, g) => objective(th, g, Xs, y, n, d, K, C, z), theta0, {
    maxIter,
    gtol: tol,
    memory: opts.memory ?? 10,
    onIter: opts.onProgress,
  });

  // fold the standardisation back: W x_s + b = (W / std) x + (b - W (mean / std))
  const weight = new Float32Array(K * d);
  const bias = new Float32Array(K);
  for (let c = 0; c < K; c++) {
    let b = res.x[K * d + c]!;
    for (let j = 0; j < d; j++) {
      const w = res.x[c * d + j]! / std[j]!;
      weight[c * d + j] = w;
      b -= w * mean[j]!;
    }
    bias[c] = b;
  }
  return { weight, bias, iterations: res.iterations, loss: res.f, converged: res.converged };
}
