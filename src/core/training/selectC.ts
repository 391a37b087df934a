/**
 * Regularisation strength chosen by inner cross-validation, then the fit at that strength.
 *
 * The grid is walked from strong to weak regularisation (small to large C), every inner fold
 * warm-starting from its solution at the previous C (neighbouring optima are close, so later fits
 * take a fraction of the iterations of a cold start), and the walk stops early once `patience`
 * consecutive C values fail to beat the best mean score — the weakly regularised end is the
 * expensive one (more iterations), so most of the saving is there. Ties go to the smaller C
 * (GridSearchCV's rule with the grid in ascending order).
 *
 * Score: balanced accuracy on each inner validation fold, averaged over the folds (GridSearchCV's
 * `scoring='balanced_accuracy'`).
 */
import { balancedAccuracy } from '../metrics.ts';
import { classCounts, foldSplit, stratifiedFolds, takeLabels, takeRows } from './folds.ts';
import type { LbfgsStep } from './lbfgs.ts';
import { argmaxRows, featureStats, fitStandardizedSteps, linearLogits, standardize, unstandardize } from './logreg.ts';
import { mapSteps, type Steps } from './steps.ts';

/** Half-decade steps; with standardised features the optimum is usually between 0.01 and 1. */
export const DEFAULT_C_GRID: readonly number[] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
/** C used when the training set is too small for inner cross-validation (scikit-learn's default). */
export const FALLBACK_C = 1;

export interface SelectCOptions {
  grid?: readonly number[];
  /** inner folds, default 3 (fewer when a class is small) */
  innerFolds?: number;
  seed?: number;
  /** stop the walk after this many C values without improvement, default 2 (Infinity: whole grid) */
  patience?: number;
  /**
   * inner fits: gradient tolerance (default 3e-4) and iteration cap (default 300). Looser than the
   * final fit's 1e-4 because the inner fits only need their predictions; but with warm starts a
   * loose tolerance lets a fit stop near the previous C's optimum, so the scores lag behind along
   * the grid. Measured (iterations over the whole grid; chosen C): the training fixture 1e-3: 353,
   * C 0.03 (GridSearchCV: 0.1); 3e-4: 545, 0.1; 1e-4: 714, 0.1. LISC embeddings of the default
   * bundle: 1e-3: 565; 3e-4: 937; 1e-4: 1370 (the scores of the top three C within 0.1 point).
   */
  tol?: number;
  maxIter?: number;
}

export interface CSelection {
  C: number;
  /** the C values evaluated, in order (a prefix of the grid when the walk stopped early) */
  evaluated: number[];
  /** mean inner-fold balanced accuracy per evaluated C */
  meanScores: number[];
  /** inner folds used (0 when selection was impossible and FALLBACK_C was used) */
  innerFolds: number;
  /** L-BFGS iterations summed over all inner fits */
  iterations: number;
  note?: string;
  /** mean of the inner solutions at C (standardised space): a warm start for the final fit */
  warmStart?: Float64Array;
}

export interface SelectStep {
  cIndex: number;
  C: number;
  gridSize: number;
  innerFold: number;
  innerFolds: number;
  iteration: number;
}

/** Choose C for (X, y) by inner stratified cross-validation; yields per L-BFGS iteration. */
export function* selectCSteps(X: Float32Array, n: number, d: number, y: Int32Array, K: number, opts: SelectCOptions = {}): Steps<SelectStep, CSelection> {
  const grid = [...(opts.grid ?? DEFAULT_C_GRID)].sort((a, b) => a - b);
  if (grid.length === 0 || grid.some((c) => !(c > 0))) throw new RangeError('the C grid must hold positive numbers');
  if (grid.length === 1) return { C: grid[0]!, evaluated: [grid[0]!], meanScores: [NaN], innerFolds: 0, iterations: 0, note: 'one C given: no selection' };
  const counts = classCounts(y.subarray(0, n), K);
  const present = counts.filter((c) => c > 0);
  const kin = Math.min(opts.innerFolds ?? 3, ...present);
  if (kin < 2) {
    return {
      C: FALLBACK_C,
      evaluated: [],
      meanScores: [],
      innerFolds: 0,
      iterations: 0,
      note: `a class has a single training cell: no inner cross-validation, C = ${FALLBACK_C}`,
    };
  }
  const foldOf = stratifiedFolds(y.subarray(0, n), K, kin, { seed: (opts.seed ?? 0) + 7919 });
  const splits = Array.from({ length: kin }, (_, f) => foldSplit(foldOf, f));
  // per-fold standardisation statistics, computed once (the fold data are rebuilt per fit: one
  // fold's copy in memory at a time, and copying is cheap next to a fit)
  const stats = splits.map((s) => featureStats(takeRows(X, d, s.train), s.train.length, d));
  const thetas: (Float64Array | undefined)[] = new Array(kin);
  const patience = opts.patience ?? 2;
  const evaluated: number[] = [];
  const meanScores: number[] = [];
  let best = -Infinity;
  let bestIndex = -1;
  let bestThetas: Float64Array[] = [];
  let sinceBest = 0;
  let iterations = 0;
  for (let ci = 0; ci < grid.length; ci++) {
    const C = grid[ci]!;
    let scoreSum = 0;
    for (let f = 0; f < kin; f++) {
      const { train, test } = splits[f]!;
      const { mean, std } = stats[f]!;
      const Xs = standardize(takeRows(X, d, train), train.length, d, mean, std);
      const ytr = takeLabels(y, train);
      const fit = yield* mapSteps(
        fitStandardizedSteps(Xs, train.length, d, ytr, K, { C, tol: opts.tol ?? 3e-4, maxIter: opts.maxIter ?? 300, init: thetas[f] }),
        (s: LbfgsStep): SelectStep => ({ cIndex: ci, C, gridSize: grid.length, innerFold: f, innerFolds: kin, iteration: s.iteration }),
      );
      iterations += fit.iterations;
      thetas[f] = fit.theta;
      const { weight, bias } = unstandardize(fit.theta, mean, std, K, d);
      const pred = argmaxRows(linearLogits(weight, bias, takeRows(X, d, test), test.length, d, K), test.length, K);
      scoreSum += balancedAccuracy(takeLabels(y, test), pred, K);
    }
    const score = scoreSum / kin;
    evaluated.push(C);
    meanScores.push(score);
    if (score > best + 1e-12) {
      best = score;
      bestIndex = ci;
      bestThetas = thetas.map((t) => t!);
      sinceBest = 0;
    } else if (++sinceBest >= patience) {
      break;
    }
  }
  const warmStart = new Float64Array(bestThetas[0]!.length);
  for (const t of bestThetas) for (let i = 0; i < t.length; i++) warmStart[i]! += t[i]! / bestThetas.length;
  return { C: grid[bestIndex]!, evaluated, meanScores, innerFolds: kin, iterations, warmStart };
}
