/**
 * The small dense linear algebra the shift statistics need, in float64: symmetric Gram matrices,
 * Ledoit–Wolf shrinkage (exactly scikit-learn's `ledoit_wolf(X, assume_centered=True)`), Cholesky
 * factorisation and the inverse of its factor, and whitening with a packed lower-triangular matrix.
 *
 * Layouts: a d×d matrix is a row-major Float64Array of d·d; a packed lower-triangular matrix holds
 * row i's entries 0..i one after the other (row i starts at i(i+1)/2), d(d+1)/2 values in all.
 */

export const packedSize = (d: number): number => (d * (d + 1)) / 2;

/** Adds x xᵀ (upper triangle only, i ≤ j) of the d-vector at x[off..off+d) into G, scaled by w. */
export function addOuterUpper(G: Float64Array, x: ArrayLike<number>, off: number, d: number, w = 1): void {
  for (let i = 0; i < d; i++) {
    const xi = x[off + i]! * w;
    if (xi === 0) continue;
    const row = i * d;
    for (let j = i; j < d; j++) G[row + j]! += xi * x[off + j]!;
  }
}

/**
 * Adds Σ_r x_r x_rᵀ (upper triangle) of the m rows of `rows` (m × d, row-major) into G, four rows at
 * a time: G is read and written once per four rows instead of once per row, which is what bounds the
 * speed for d in the hundreds (G no longer fits in cache).
 */
export function addGramRowsUpper(G: Float64Array, rows: Float64Array, m: number, d: number): void {
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const o0 = r * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    for (let i = 0; i < d; i++) {
      const a0 = rows[o0 + i]!;
      const a1 = rows[o1 + i]!;
      const a2 = rows[o2 + i]!;
      const a3 = rows[o3 + i]!;
      const row = i * d;
      for (let j = i; j < d; j++) G[row + j]! += a0 * rows[o0 + j]! + a1 * rows[o1 + j]! + a2 * rows[o2 + j]! + a3 * rows[o3 + j]!;
    }
  }
  for (; r < m; r++) addOuterUpper(G, rows, r * d, d);
}

/** Copies the upper triangle of a symmetric matrix into its lower triangle. */
export function symmetrizeFromUpper(G: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) G[j * d + i] = G[i * d + j]!;
}

/**
 * Ledoit–Wolf shrinkage towards μ·I of the covariance S = (1/n) Σ rᵢ rᵢᵀ of n centred samples, as
 * scikit-learn's `ledoit_wolf_shrinkage(R, assume_centered=True)`. Needs, besides S, the sum of
 * ‖rᵢ‖⁴ over the samples (scikit-learn's `beta_` = Σ (R²)ᵀR²). Returns the shrinkage in [0, 1].
 */
export function ledoitWolfShrinkage(S: Float64Array, d: number, n: number, sumNorm4: number): number {
  if (d === 1) return 0;
  let trace = 0;
  for (let i = 0; i < d; i++) trace += S[i * d + i]!;
  const mu = trace / d;
  let frob = 0; // ‖S‖_F², scikit-learn's delta_ after the division by n²
  for (let i = 0; i < d * d; i++) frob += S[i]! * S[i]!;
  let beta = (1 / (d * n)) * (sumNorm4 / n - frob);
  const delta = (frob - 2 * mu * trace + d * mu * mu) / d;
  beta = Math.min(beta, delta);
  return beta === 0 ? 0 : beta / delta;
}

/** (1 − s)·S + s·(tr S / d)·I, in place. */
export function shrinkInPlace(S: Float64Array, d: number, s: number): void {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += S[i * d + i]!;
  const mu = trace / d;
  for (let i = 0; i < d * d; i++) S[i]! *= 1 - s;
  for (let i = 0; i < d; i++) S[i * d + i]! += s * mu;
}

export class NotPositiveDefiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotPositiveDefiniteError';
  }
}

/** Cholesky factor L (packed lower) of a symmetric positive definite A = L Lᵀ (reads A's lower triangle). */
export function choleskyPacked(A: Float64Array, d: number): Float64Array {
  const L = new Float64Array(packedSize(d));
  for (let i = 0; i < d; i++) {
    const ri = (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) {
      const rj = (j * (j + 1)) / 2;
      let s = A[i * d + j]!;
      for (let k = 0; k < j; k++) s -= L[ri + k]! * L[rj + k]!;
      if (i === j) {
        if (!(s > 0)) throw new NotPositiveDefiniteError(`matrix is not positive definite (pivot ${i} is ${s})`);
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j]!;
      }
    }
  }
  return L;
}

/** Inverse of a packed lower-triangular matrix (itself lower-triangular, packed). */
export function invertLowerPacked(L: Float64Array, d: number): Float64Array {
  const W = new Float64Array(packedSize(d));
  // Column by column: solve L w = e_j by forward substitution; w is zero above j.
  for (let j = 0; j < d; j++) {
    W[(j * (j + 1)) / 2 + j] = 1 / L[(j * (j + 1)) / 2 + j]!;
    for (let i = j + 1; i < d; i++) {
      const ri = (i * (i + 1)) / 2;
      let s = 0;
      for (let k = j; k < i; k++) s += L[ri + k]! * W[(k * (k + 1)) / 2 + j]!;
      W[ri + j] = -s / L[ri + i]!;
    }
  }
  return W;
}

/** z = W x for a packed lower-triangular W and the d-vector at x[off..off+d). */
export function lowerMatVec(W: ArrayLike<number>, x: ArrayLike<number>, off: number, d: number, z: Float64Array): Float64Array {
  let p = 0;
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += W[p + k]! * x[off + k]!;
    z[i] = s;
    p += i + 1;
  }
  return z;
}
