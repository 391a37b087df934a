/**
 * Reference statistics of an encoder's embeddings, the basis of the "unlike the training data"
 * check (issue 13), and `buildShiftStats`, which computes them from labelled embeddings. Used by
 * `npm run train-head`, `npm run shift-stats` and the in-browser head trainer alike.
 *
 * The model of in-distribution cells: one Gaussian per class with a covariance shared by all classes
 * (the pooled within-class scatter, Ledoit–Wolf shrunk so that it stays well conditioned with few
 * cells or many dimensions). A cell's score is its Mahalanobis distance to the nearest class mean
 * (score.ts; why this score: docs/shift-detection.md). The threshold is a quantile (default 99 %) of
 * the scores of held-in cells, i.e. cells scored by statistics fitted without them (k-fold over the
 * training cells), so that the flag rate on new cells of the same kind is what it says (≈ 1 %).
 */
import { addGramRowsUpper, addOuterUpper, choleskyPacked, invertLowerPacked, ledoitWolfShrinkage, lowerMatVec, packedSize, shrinkInPlace, symmetrizeFromUpper } from './linalg.ts';
import { stratifiedFolds } from '../training/folds.ts';
import { mulberry32, shuffleInPlace } from './random.ts';

export const SHIFT_STATS_FORMAT = 'dinobloom-shift-stats';
export const SHIFT_STATS_VERSION = 1;

/**
 * `mahalanobis`: min over classes of the Mahalanobis distance with the shared covariance.
 * `relative-mahalanobis` (Ren et al. 2021): min over classes of the squared distance minus the
 * squared distance to one Gaussian of all cells (needs `background`).
 */
export type ShiftScoreKind = 'mahalanobis' | 'relative-mahalanobis';
export const SHIFT_SCORE_KINDS: readonly ShiftScoreKind[] = ['mahalanobis', 'relative-mahalanobis'];

export interface ShiftGaussian {
  /** d values (background) */
  mean: Float32Array;
  /** W = L⁻¹ where Σ = L Lᵀ, packed lower-triangular (d(d+1)/2 values): ‖W(x − μ)‖ is the Mahalanobis distance */
  whitening: Float32Array;
  /** Ledoit–Wolf shrinkage of Σ towards a multiple of the identity */
  shrinkage: number;
}

export interface ShiftQuantiles {
  /** levels in [0, 1], increasing */
  p: number[];
  /** the held-in score at each level (numpy's default "linear" interpolation) */
  value: number[];
}

export interface ShiftStats {
  format: typeof SHIFT_STATS_FORMAT;
  version: typeof SHIFT_STATS_VERSION;
  /** the bundle whose encoder made the embeddings */
  bundleId: string;
  /** sha256 of every encoder variant these statistics hold for (a bundle's variants give the same embeddings to ~1e-3) */
  encoderSha256: string[];
  embeddingDim: number;
  /** classes with at least one cell, in the order of `means` and `sample.labels` */
  classes: string[];
  /** cells per class the statistics were fitted on */
  classCounts: number[];
  score: ShiftScoreKind;
  /** C × d class means, row-major */
  means: Float32Array;
  /** whitening of the shared within-class covariance, packed lower-triangular */
  whitening: Float32Array;
  shrinkage: number;
  /** one Gaussian of all cells: present for `relative-mahalanobis` */
  background?: ShiftGaussian;
  heldIn: {
    /** how held-in scores were made, e.g. "5-fold, stratified by class, seed 13" */
    method: string;
    folds: number;
    /** cells scored */
    n: number;
    quantiles: ShiftQuantiles;
  };
  /** a cell is flagged when its score is above this */
  threshold: number;
  /** the held-in quantile the threshold is */
  thresholdQuantile: number;
  /** share of held-in cells above the threshold: the flag rate expected on the model's own kind of cells */
  expectedFlagRate: number;
  /** reference cells for the embedding map, stratified by class */
  sample: { embeddings: Float32Array; labels: Int32Array };
  createdAt: string;
  /** free text: what data the statistics came from */
  source?: string;
}

export class ShiftStatsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShiftStatsError';
  }
}

export interface BuildShiftStatsOptions {
  bundleId: string;
  encoderSha256: string[];
  score?: ShiftScoreKind;
  /** k of the k-fold held-in scoring (default 5; fewer when there are fewer cells) */
  folds?: number;
  /** default 0.99 */
  thresholdQuantile?: number;
  /** reference cells kept for the map (default 400) */
  sampleSize?: number;
  seed?: number;
  source?: string;
  now?: Date;
  /** called after each fit (folds + the final one) */
  onProgress?: (done: number, total: number) => void;
}

/** Below this many cells the held-in quantile, and so the threshold, would mean little. */
export const MIN_CELLS_FOR_STATS = 20;
export const DEFAULT_THRESHOLD_QUANTILE = 0.99;
export const DEFAULT_SCORE: ShiftScoreKind = 'mahalanobis';
const QUANTILE_LEVELS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 1];

/** numpy.quantile(values, q) with the default "linear" method; `sorted` ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Fitted Gaussians in float64, ready to score (also what score.ts builds from stored statistics). */
export interface FittedModel {
  d: number;
  /** C × d */
  means: Float64Array;
  W: Float64Array;
  /** C × d: W μ_k */
  whitenedMeans: Float64Array;
  shrinkage: number;
  background?: { mean: Float64Array; W: Float64Array; whitenedMean: Float64Array; shrinkage: number };
}

interface Accumulator {
  /** upper triangle of Σ x xᵀ of centred cells */
  gram: Float64Array;
  /** C × d sums */
  sums: Float64Array;
  counts: Float64Array;
  n: number;
}

function newAccumulator(C: number, d: number): Accumulator {
  return { gram: new Float64Array(d * d), sums: new Float64Array(C * d), counts: new Float64Array(C), n: 0 };
}

/** Adds the given rows (centred on `centre`) to an accumulator, 64 at a time through addGramRowsUpper. */
function accumulate(acc: Accumulator, X: ArrayLike<number>, d: number, y: ArrayLike<number>, centre: Float64Array, rows: ArrayLike<number>): void {
  const BLOCK = 64;
  const xc = new Float64Array(BLOCK * d);
  for (let r0 = 0; r0 < rows.length; r0 += BLOCK) {
    const m = Math.min(BLOCK, rows.length - r0);
    for (let r = 0; r < m; r++) {
      const i = rows[r0 + r]!;
      const k = y[i]!;
      for (let j = 0; j < d; j++) {
        const v = X[i * d + j]! - centre[j]!;
        xc[r * d + j] = v;
        acc.sums[k * d + j]! += v;
      }
      acc.counts[k]!++;
      acc.n++;
    }
    addGramRowsUpper(acc.gram, xc, m, d);
  }
}

/** Whitening W = L⁻¹ of a (shrunk) covariance; retries with more shrinkage if rounding left it singular. */
function whiteningOf(S: Float64Array, d: number, shrinkage: number): { W: Float64Array; shrinkage: number } {
  let s = shrinkage;
  for (let attempt = 0; attempt < 8; attempt++) {
    const A = S.slice();
    shrinkInPlace(A, d, s);
    try {
      return { W: invertLowerPacked(choleskyPacked(A, d), d), shrinkage: s };
    } catch {
      s = Math.min(1, Math.max(1e-6, s * 10));
    }
  }
  throw new ShiftStatsError('the embeddings have no spread (all cells identical?): no statistics can be fitted');
}

function whiten(W: Float64Array, v: Float64Array, d: number): Float64Array {
  return lowerMatVec(W, v, 0, d, new Float64Array(d));
}

/**
 * Fit from accumulated sums (centred coordinates; `centre` added back to the means). Cells of the fit
 * are given again (`rows`) for the 4th moments Ledoit–Wolf needs.
 */
function fitFrom(
  acc: Accumulator, C: number, d: number, centre: Float64Array, X: ArrayLike<number>, y: ArrayLike<number>, rows: ArrayLike<number>, withBackground: boolean,
): FittedModel {
  const means = new Float64Array(C * d); // centred
  for (let k = 0; k < C; k++) {
    const nk = acc.counts[k]!;
    for (let j = 0; j < d; j++) means[k * d + j] = nk > 0 ? acc.sums[k * d + j]! / nk : NaN;
  }
  // pooled within-class scatter: Σ x xᵀ − Σ_k n_k μ_k μ_kᵀ, over n
  const S = acc.gram.slice();
  for (let k = 0; k < C; k++) if (acc.counts[k]! > 0) addOuterUpper(S, means, k * d, d, -acc.counts[k]!);
  for (let i = 0; i < d * d; i++) S[i]! /= acc.n;
  symmetrizeFromUpper(S, d);
  let norm4 = 0;
  let norm4bg = 0;
  const bgMean = new Float64Array(d);
  for (let k = 0; k < C; k++) for (let j = 0; j < d; j++) bgMean[j]! += acc.sums[k * d + j]! / acc.n;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    const k = y[i]!;
    let s2 = 0;
    let b2 = 0;
    for (let j = 0; j < d; j++) {
      const x = X[i * d + j]! - centre[j]!;
      const e = x - means[k * d + j]!;
      s2 += e * e;
      const b = x - bgMean[j]!;
      b2 += b * b;
    }
    norm4 += s2 * s2;
    norm4bg += b2 * b2;
  }
  const within = whiteningOf(S, d, ledoitWolfShrinkage(S, d, acc.n, norm4));
  const absMeans = new Float64Array(C * d);
  for (let i = 0; i < C * d; i++) absMeans[i] = means[i]! + centre[i % d]!;
  const whitenedMeans = new Float64Array(C * d);
  for (let k = 0; k < C; k++) whitenedMeans.set(whiten(within.W, absMeans.subarray(k * d, (k + 1) * d), d), k * d);
  const model: FittedModel = { d, means: absMeans, W: within.W, whitenedMeans, shrinkage: within.shrinkage };
  if (withBackground) {
    const S0 = acc.gram.slice();
    for (let i = 0; i < d * d; i++) S0[i]! /= acc.n;
    addOuterUpper(S0, bgMean, 0, d, -1);
    symmetrizeFromUpper(S0, d);
    const bg = whiteningOf(S0, d, ledoitWolfShrinkage(S0, d, acc.n, norm4bg));
    const mean = Float64Array.from(bgMean, (v, j) => v + centre[j]!);
    model.background = { mean, W: bg.W, whitenedMean: whiten(bg.W, mean, d), shrinkage: bg.shrinkage };
  }
  return model;
}

/**
 * Fit the statistics and calibrate the threshold. `embeddings` is n × d row-major, `labels[i]` an
 * index into `classes`. Throws ShiftStatsError for unusable input (too few cells, non-finite
 * values, labels out of range, too few classes).
 */
export function buildShiftStats(
  embeddings: Float32Array, n: number, d: number, labels: ArrayLike<number>, classes: readonly string[], opts: BuildShiftStatsOptions,
): ShiftStats {
  const score = opts.score ?? DEFAULT_SCORE;
  const q = opts.thresholdQuantile ?? DEFAULT_THRESHOLD_QUANTILE;
  if (!(q > 0 && q < 1)) throw new ShiftStatsError(`the threshold quantile must be between 0 and 1 (got ${q})`);
  if (!Number.isInteger(d) || d < 1) throw new ShiftStatsError(`embedding dimension must be a positive integer (got ${d})`);
  if (embeddings.length < n * d) throw new ShiftStatsError(`${embeddings.length} values are fewer than ${n} cells × ${d}`);
  if (labels.length < n) throw new ShiftStatsError(`${labels.length} labels for ${n} cells`);
  if (n < MIN_CELLS_FOR_STATS) throw new ShiftStatsError(`shift statistics need at least ${MIN_CELLS_FOR_STATS} labelled cells (got ${n})`);
  for (let i = 0; i < n * d; i++) {
    if (!Number.isFinite(embeddings[i]!)) throw new ShiftStatsError(`cell ${Math.floor(i / d)} has a non-finite embedding value (NaN or infinity)`);
  }
  // keep classes that have cells; remap labels onto them
  const allCounts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes.length) throw new ShiftStatsError(`cell ${i} has label ${l}, outside 0..${classes.length - 1}`);
    allCounts[l]!++;
  }
  const kept = classes.map((_, k) => k).filter((k) => allCounts[k]! > 0);
  if (kept.length < 1) throw new ShiftStatsError('no labelled cells');
  const remap = new Int32Array(classes.length).fill(-1);
  kept.forEach((k, i) => (remap[k] = i));
  const C = kept.length;
  const y = Int32Array.from({ length: n }, (_, i) => remap[labels[i]!]!);
  const classCounts = kept.map((k) => allCounts[k]!);

  const K = Math.max(2, Math.min(opts.folds ?? 5, n));
  const seed = opts.seed ?? 13;
  const fold = heldInFolds(y, C, K, seed);

  // centre on the overall mean (numerics), accumulate per fold
  const all = Array.from({ length: n }, (_, i) => i);
  const centre = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centre[j]! += embeddings[i * d + j]! / n;
  const accs = Array.from({ length: K }, () => newAccumulator(C, d));
  for (let f = 0; f < K; f++) accumulate(accs[f]!, embeddings, d, y, centre, all.filter((i) => fold[i] === f));
  const total = newAccumulator(C, d);
  for (const a of accs) {
    for (let i = 0; i < d * d; i++) total.gram[i]! += a.gram[i]!;
    for (let i = 0; i < C * d; i++) total.sums[i]! += a.sums[i]!;
    for (let k = 0; k < C; k++) total.counts[k]! += a.counts[k]!;
    total.n += a.n;
  }
  const withBackground = score === 'relative-mahalanobis';
  const heldIn = new Float64Array(n);
  const steps = K + 1;
  for (let f = 0; f < K; f++) {
    const a = accs[f]!;
    const train = newAccumulator(C, d);
    for (let i = 0; i < d * d; i++) train.gram[i] = total.gram[i]! - a.gram[i]!;
    for (let i = 0; i < C * d; i++) train.sums[i] = total.sums[i]! - a.sums[i]!;
    for (let k = 0; k < C; k++) train.counts[k] = total.counts[k]! - a.counts[k]!;
    train.n = total.n - a.n;
    const rows: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : rows).push(i);
    const model = fitFrom(train, C, d, centre, embeddings, y, rows, withBackground);
    const s = scoreWithModel(model, score, embeddings, test);
    test.forEach((i, r) => (heldIn[i] = s[r]!));
    opts.onProgress?.(f + 1, steps);
  }
  const final = fitFrom(total, C, d, centre, embeddings, y, all, withBackground);
  opts.onProgress?.(steps, steps);

  const sorted = Float64Array.from(heldIn).sort();
  const threshold = quantileSorted(sorted, q);
  let above = 0;
  for (const v of sorted) if (v > threshold) above++;

  const sample = stratifiedSample(y, C, Math.min(n, opts.sampleSize ?? 400), mulberry32(seed + 1));
  const sampleEmb = new Float32Array(sample.length * d);
  sample.forEach((i, r) => sampleEmb.set(embeddings.subarray(i * d, (i + 1) * d), r * d));

  const stats: ShiftStats = {
    format: SHIFT_STATS_FORMAT,
    version: SHIFT_STATS_VERSION,
    bundleId: opts.bundleId,
    encoderSha256: [...new Set(opts.encoderSha256.map((s) => s.toLowerCase()))],
    embeddingDim: d,
    classes: kept.map((k) => classes[k]!),
    classCounts,
    score,
    means: Float32Array.from(final.means),
    whitening: Float32Array.from(final.W),
    shrinkage: final.shrinkage,
    heldIn: {
      method: `${K}-fold, stratified by class, seed ${seed}: each cell scored by statistics fitted without its fold`,
      folds: K,
      n,
      quantiles: { p: QUANTILE_LEVELS.slice(), value: QUANTILE_LEVELS.map((p) => quantileSorted(sorted, p)) },
    },
    threshold,
    thresholdQuantile: q,
    expectedFlagRate: above / n,
    sample: { embeddings: sampleEmb, labels: Int32Array.from(sample, (i) => y[i]!) },
    createdAt: (opts.now ?? new Date()).toISOString(),
    ...(opts.source !== undefined ? { source: opts.source } : {}),
  };
  if (final.background) {
    stats.background = {
      mean: Float32Array.from(final.background.mean),
      whitening: Float32Array.from(final.background.W),
      shrinkage: final.background.shrinkage,
    };
  }
  return stats;
}

/**
 * Fold of each cell for k-fold held-in scoring: the training code's stratified k-fold
 * (scikit-learn's StratifiedKFold allocation, seeded shuffle), so every fold has about the same
 * share of every class.
 */
export function heldInFolds(y: Int32Array, C: number, K: number, seed: number): Int32Array {
  return stratifiedFolds(y, C, K, { seed });
}

/**
 * Fit the Gaussians on the given rows of X (n × d) directly: the reference the k-fold shortcut in
 * buildShiftStats (sums of the other folds) is tested against, and a building block for callers that
 * have their own split.
 */
export function fitShiftModel(X: ArrayLike<number>, d: number, y: ArrayLike<number>, C: number, rows: ArrayLike<number>, withBackground = false): FittedModel {
  const centre = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < d; j++) centre[j]! += X[rows[r]! * d + j]! / rows.length;
  const acc = newAccumulator(C, d);
  accumulate(acc, X, d, y, centre, rows);
  return fitFrom(acc, C, d, centre, X, y, rows, withBackground);
}

/** Sample of ~`size` cells, each class in proportion to its count (at least 3 cells, or all it has). */
function stratifiedSample(y: Int32Array, C: number, size: number, rand: () => number): number[] {
  const byClass: number[][] = Array.from({ length: C }, () => []);
  y.forEach((k, i) => byClass[k]!.push(i));
  const n = y.length;
  const out: number[] = [];
  for (const idx of byClass) {
    const want = Math.min(idx.length, Math.max(3, Math.round((size * idx.length) / n)));
    const shuffled = idx.slice();
    shuffleInPlace(shuffled, rand);
    out.push(...shuffled.slice(0, want));
  }
  return out.sort((a, b) => a - b);
}

/** Squared Mahalanobis distances (C values) of the whitened cell `z` to the whitened means. */
function minSquaredDistance(model: FittedModel, z: Float64Array): number {
  const { d, whitenedMeans } = model;
  const C = whitenedMeans.length / d;
  let best = Infinity;
  for (let k = 0; k < C; k++) {
    let s = 0;
    const o = k * d;
    for (let j = 0; j < d; j++) {
      const e = z[j]! - whitenedMeans[o + j]!;
      s += e * e;
    }
    if (s < best) best = s; // NaN means (a class without cells in a fold) never win
  }
  return best;
}

/**
 * Scores of the given rows of X (n × d) under a fitted model. NaN for a cell whose embedding has a
 * non-finite value: it must become an error, never "in distribution".
 */
export function scoreWithModel(model: FittedModel, kind: ShiftScoreKind, X: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  const { d, W } = model;
  const out = new Float64Array(rows.length);
  const z = new Float64Array(d);
  const z0 = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) {
    const off = rows[r]! * d;
    let finite = true;
    for (let j = 0; j < d; j++) if (!Number.isFinite(X[off + j]!)) finite = false;
    if (!finite) {
      out[r] = NaN;
      continue;
    }
    lowerMatVec(W, X, off, d, z);
    const m2 = minSquaredDistance(model, z);
    if (kind === 'mahalanobis') {
      out[r] = Math.sqrt(m2);
    } else {
      const bg = model.background!;
      lowerMatVec(bg.W, X, off, d, z0);
      let b2 = 0;
      for (let i = 0; i < d; i++) {
        const e = z0[i]! - bg.whitenedMean[i]!;
        b2 += e * e;
      }
      out[r] = m2 - b2;
    }
  }
  return out;
}

/** Rebuild the float64 model from stored statistics (score.ts). */
export function modelFromStats(stats: ShiftStats): FittedModel {
  const d = stats.embeddingDim;
  const C = stats.classes.length;
  const W = Float64Array.from(stats.whitening);
  const means = Float64Array.from(stats.means);
  const whitenedMeans = new Float64Array(C * d);
  for (let k = 0; k < C; k++) whitenedMeans.set(whiten(W, means.subarray(k * d, (k + 1) * d), d), k * d);
  const model: FittedModel = { d, means, W, whitenedMeans, shrinkage: stats.shrinkage };
  if (stats.background) {
    const bW = Float64Array.from(stats.background.whitening);
    const mean = Float64Array.from(stats.background.mean);
    model.background = { mean, W: bW, whitenedMean: whiten(bW, mean, d), shrinkage: stats.background.shrinkage };
  }
  if (W.length !== packedSize(d)) throw new ShiftStatsError(`whitening has ${W.length} values, expected ${packedSize(d)}`);
  return model;
}
