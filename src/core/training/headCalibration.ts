/**
 * Temperature-scaling a finished linear head (a bundle's own head.json) on held-in cells it was
 * not trained on, and the figures that say whether its probabilities mean something: ECE (the
 * app's definition, calibration.ts), NLL, accuracy, and the share of cells the bundle's
 * unidentifiedThreshold would show as Unidentified. Used by `npm run calibrate-head`.
 *
 * The fit and the measurement never share a cell: the held-in set is split into two seeded,
 * class-stratified halves (folds.ts); T is fitted on one and judged on the other (and on any
 * external set, which is only ever measured).
 */
import { expectedCalibrationError, fitTemperature, softmaxWithTemperature, type ReliabilityBin } from './calibration.ts';
import { foldSplit, stratifiedFolds } from './folds.ts';

export interface CalibrationSplit {
  /** indices of the cells T is fitted on */
  fit: Int32Array;
  /** indices of the cells the figures are measured on */
  heldOut: Int32Array;
}

/** Seeded, class-stratified halves of a labelled set (labels 0..K-1). */
export function calibrationSplit(y: Int32Array, K: number, seed: number): CalibrationSplit {
  const { test, train } = foldSplit(stratifiedFolds(y, K, 2, { seed }), 0);
  return { fit: test, heldOut: train };
}

/** Rows `idx` of an n × K logit matrix and their labels. */
export function takeLogits(logits: Float64Array, y: Int32Array, K: number, idx: Int32Array): { logits: Float64Array; y: Int32Array } {
  const out = new Float64Array(idx.length * K);
  idx.forEach((i, r) => out.set(logits.subarray(i * K, (i + 1) * K), r * K));
  return { logits: out, y: Int32Array.from(idx, (i) => y[i]!) };
}

export interface ProbabilityFigures {
  n: number;
  temperature: number;
  /** 15 equal-width bins */
  ece: number;
  nll: number;
  accuracy: number;
  meanConfidence: number;
  /** share of cells whose top probability is below the threshold (the app shows them as Unidentified) */
  unidentifiedShare: number;
  bins: ReliabilityBin[];
}

/**
 * Figures of softmax(logits / T) against labels y (n × K logits). A cell is Unidentified when its
 * top probability is below `threshold` (src/core/head.ts `decide`: equal passes).
 */
export function probabilityFigures(logits: Float64Array, y: Int32Array, K: number, T: number, threshold: number): ProbabilityFigures {
  const n = y.length;
  const p = softmaxWithTemperature(logits, n, K, T);
  const { ece, bins } = expectedCalibrationError(p, y, n, K);
  let nll = 0;
  let correct = 0;
  let conf = 0;
  let unidentified = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (p[i * K + c]! > p[i * K + best]!) best = c;
    const top = p[i * K + best]!;
    if (best === y[i]) correct++;
    if (top < threshold) unidentified++;
    conf += top;
    nll -= Math.log(Math.max(p[i * K + y[i]!]!, 1e-300));
  }
  const per = (v: number) => (n > 0 ? v / n : 0);
  return { n, temperature: T, ece, nll: per(nll), accuracy: per(correct), meanConfidence: per(conf), unidentifiedShare: per(unidentified), bins };
}

export interface HeadTemperatureFit {
  temperature: number;
  nFit: number;
  /** the held-out half, with the head as it was (T = 1) and scaled */
  before: ProbabilityFigures;
  after: ProbabilityFigures;
}

/**
 * Fit T on one stratified half of (logits, y) and measure the other half before and after. The
 * logits are those of the head as trained (T = 1).
 */
export function fitHeadTemperature(logits: Float64Array, y: Int32Array, K: number, opts: { seed: number; threshold: number }): HeadTemperatureFit {
  const split = calibrationSplit(y, K, opts.seed);
  const fit = takeLogits(logits, y, K, split.fit);
  const held = takeLogits(logits, y, K, split.heldOut);
  const temperature = fitTemperature(fit.logits, fit.y, fit.y.length, K);
  return {
    temperature,
    nFit: fit.y.length,
    before: probabilityFigures(held.logits, held.y, K, 1, opts.threshold),
    after: probabilityFigures(held.logits, held.y, K, temperature, opts.threshold),
  };
}
