/**
 * Principal component analysis for the embedding map: the top k directions of variance of n
 * embeddings (n × d, row-major), by subspace iteration with a Rayleigh–Ritz step — no full
 * eigendecomposition, so 2 components of 5,000 DinoBloom-B embeddings (d = 768) take about a second
 * on one core. Matches scikit-learn's PCA up to the sign of each component (pca.test.ts); signs here
 * are fixed so that each component's largest loading is positive, for maps that do not flip.
 */
import { addGramRowsUpper } from '../shift/linalg.ts';
import { mulberry32 } from '../shift/random.ts';

export interface PcaResult {
  d: number;
  k: number;
  mean: Float64Array;
  /** k × d, orthonormal rows, by decreasing variance */
  components: Float64Array;
  /** variance along each component (divided by n − 1, like scikit-learn) */
  variances: Float64Array;
  /** total variance (trace of the covariance) */
  totalVariance: number;
  /** variances / totalVariance */
  explainedRatio: number[];
}

export interface PcaOptions {
  maxIterations?: number;
  /** stop when no Ritz value changes by more than this (relative) */
  tolerance?: number;
  seed?: number;
  /** extra block vectors beyond k: faster, surer convergence (default min(k, 8) + 2) */
  oversample?: number;
}

/** Eigen-decomposition of a small symmetric m × m matrix (cyclic Jacobi); values descending, vectors as columns. */
export function symmetricEigen(A: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = A.slice();
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q]! - a[p * m + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p]!;
          const akq = a[k * m + q]!;
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k]!;
          const aqk = a[q * m + k]!;
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p]!;
          const vkq = v[k * m + q]!;
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j]! - a[i * m + i]!);
  const values = Float64Array.from(order, (i) => a[i * m + i]!);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => {
    for (let k = 0; k < m; k++) vectors[k * m + dst] = v[k * m + src]!;
  });
  return { values, vectors };
}

/** Orthonormalise the b columns of Q (d × b, row-major) in place, modified Gram–Schmidt (twice, for stability). */
function orthonormalize(Q: Float64Array, d: number, b: number, rand: () => number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < b; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < d; r++) dot += Q[r * b + i]! * Q[r * b + j]!;
        for (let r = 0; r < d; r++) Q[r * b + j]! -= dot * Q[r * b + i]!;
      }
      let norm = 0;
      for (let r = 0; r < d; r++) norm += Q[r * b + j]! ** 2;
      norm = Math.sqrt(norm);
      if (norm < 1e-12) {
        // a direction with no variance left: restart it at random (re-orthogonalised next pass)
        for (let r = 0; r < d; r++) Q[r * b + j] = rand() - 0.5;
        j--;
        continue;
      }
      for (let r = 0; r < d; r++) Q[r * b + j]! /= norm;
    }
  }
}

/** Largest dimension for which the covariance matrix is formed (8 MB of float64). */
export const EXPLICIT_MAX_DIM = 1024;

export function fitPca(X: Float32Array, n: number, d: number, k: number, opts: PcaOptions = {}): PcaResult {
  if (n < 2) throw new RangeError(`PCA needs at least 2 points (got ${n})`);
  k = Math.max(1, Math.min(k, d, n - 1));
  const b = Math.min(d, k + (opts.oversample ?? Math.min(k, 8) + 2));
  const rand = mulberry32(opts.seed ?? 1);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += X[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  let totalVariance = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) totalVariance += (X[i * d + j]! - mean[j]!) ** 2;
  totalVariance /= n - 1;

  // C·Q for a d × b block: with an explicit covariance (n·d²/2 once, then d²·b per iteration) up to
  // d = 1024 — cheaper than the implicit Xcᵀ(Xc Q) (2·n·d·b per iteration) after ~d/4b iterations,
  // which a flat spectrum needs — else implicitly, without the d² memory.
  let applyC: (Q: Float64Array) => Float64Array;
  if (d <= EXPLICIT_MAX_DIM) {
    const C = new Float64Array(d * d);
    const BLOCK = 64;
    const xc = new Float64Array(BLOCK * d);
    for (let i0 = 0; i0 < n; i0 += BLOCK) {
      const m = Math.min(BLOCK, n - i0);
      for (let r = 0; r < m; r++) for (let j = 0; j < d; j++) xc[r * d + j] = X[(i0 + r) * d + j]! - mean[j]!;
      addGramRowsUpper(C, xc, m, d);
    }
    for (let p = 0; p < d; p++) for (let q = p; q < d; q++) {
      C[p * d + q]! /= n - 1;
      C[q * d + p] = C[p * d + q]!;
    }
    applyC = (Q) => {
      const out = new Float64Array(d * b);
      for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) {
        const c = C[p * d + q]!;
        if (c === 0) continue;
        for (let j = 0; j < b; j++) out[p * b + j]! += c * Q[q * b + j]!;
      }
      return out;
    };
  } else {
    applyC = (Q) => {
      const out = new Float64Array(d * b);
      const t = new Float64Array(b);
      for (let i = 0; i < n; i++) {
        t.fill(0);
        const o = i * d;
        for (let p = 0; p < d; p++) {
          const x = X[o + p]! - mean[p]!;
          for (let j = 0; j < b; j++) t[j]! += x * Q[p * b + j]!;
        }
        for (let p = 0; p < d; p++) {
          const x = (X[o + p]! - mean[p]!) / (n - 1);
          for (let j = 0; j < b; j++) out[p * b + j]! += x * t[j]!;
        }
      }
      return out;
    };
  }

  let Q: Float64Array = Float64Array.from({ length: d * b }, () => rand() - 0.5);
  orthonormalize(Q, d, b, rand);
  const maxIt = opts.maxIterations ?? 100;
  const tol = opts.tolerance ?? 1e-9;
  let values: Float64Array = new Float64Array(b);
  const rotate = (vectors: Float64Array): Float64Array => {
    const rotated = new Float64Array(d * b);
    for (let r = 0; r < d; r++) for (let j = 0; j < b; j++) {
      let s = 0;
      for (let i = 0; i < b; i++) s += Q[r * b + i]! * vectors[i * b + j]!;
      rotated[r * b + j] = s;
    }
    return rotated;
  };
  for (let it = 0; it < maxIt; it++) {
    const CQ = applyC(Q);
    // Rayleigh–Ritz: eigen of Qᵀ C Q rotates Q onto the best estimates of the eigenvectors
    const T = new Float64Array(b * b);
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
      let s = 0;
      for (let r = 0; r < d; r++) s += Q[r * b + i]! * CQ[r * b + j]!;
      T[i * b + j] = s;
    }
    for (let i = 0; i < b; i++) for (let j = i + 1; j < b; j++) T[i * b + j] = T[j * b + i] = (T[i * b + j]! + T[j * b + i]!) / 2;
    const e = symmetricEigen(T, b);
    let change = 0;
    for (let j = 0; j < k; j++) change = Math.max(change, Math.abs(e.values[j]! - values[j]!) / Math.max(1e-300, Math.abs(e.values[j]!)));
    values = e.values;
    // converged, or out of iterations: the Ritz vectors of this subspace are the answer
    if ((change < tol && it > 0) || it === maxIt - 1) {
      Q = rotate(e.vectors);
      break;
    }
    Q = CQ;
    orthonormalize(Q, d, b, rand);
  }
  const components = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    let big = 0;
    for (let r = 0; r < d; r++) if (Math.abs(Q[r * b + j]!) > Math.abs(big)) big = Q[r * b + j]!;
    const sign = big < 0 ? -1 : 1;
    for (let r = 0; r < d; r++) components[j * d + r] = sign * Q[r * b + j]!;
  }
  const variances = Float64Array.from(values.subarray(0, k), (v) => Math.max(0, v));
  return {
    d, k, mean, components, variances, totalVariance,
    explainedRatio: Array.from(variances, (v) => (totalVariance > 0 ? v / totalVariance : 0)),
  };
}

/** n × k coordinates of X in the PCA basis. */
export function projectPca(p: PcaResult, X: Float32Array, n: number): Float32Array {
  const { d, k, mean, components } = p;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let r = 0; r < d; r++) s += (X[i * d + r]! - mean[r]!) * components[j * d + r]!;
    out[i * k + j] = s;
  }
  return out;
}
