/**
 * L-BFGS with a strong-Wolfe line search, written as a step generator (src/core/training/steps.ts):
 * it yields after every iteration, so the training worker can stay responsive and be cancelled.
 */
import { drain, type Steps } from './steps.ts';

export interface LbfgsOptions {
  maxIter: number;
  /** stop when max |gradient| <= gtol */
  gtol: number;
  /** stop when the relative decrease of f is <= ftol (default 64·eps, as scipy's L-BFGS-B in scikit-learn) */
  ftol?: number;
  /** history size, default 10 */
  memory?: number;
}

export interface LbfgsStep {
  /** 0 once, after the starting point's evaluation; then 1, 2, … after each iteration */
  iteration: number;
  f: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
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
export function* lbfgsSteps(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: LbfgsOptions,
): Steps<LbfgsStep, LbfgsResult> {
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
  // a step before the first iteration: the first evaluations run before the JIT has optimised
  // the objective and can be slow, and a cancel should not wait for the whole first iteration
  yield { iteration: 0, f };

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
    yield { iteration: iterations, f };
    if (maxAbs(g) <= opts.gtol) return { x, f, iterations, converged: true };
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      return { x, f, iterations, converged: true };
    }
  }
  return { x, f, iterations, converged: false };
}

/** Synchronous L-BFGS (runs lbfgsSteps to the end); `onIter` sees every iteration (1, 2, …). */
export function lbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: LbfgsOptions & { onIter?: (iter: number, f: number) => void },
): LbfgsResult {
  const gen = lbfgsSteps(fg, x0, opts);
  const onIter = opts.onIter;
  return drain(gen, onIter ? (s: LbfgsStep) => s.iteration > 0 && onIter(s.iteration, s.f) : undefined);
}
