/**
 * The whole linear-head procedure on one training set: choose C by inner cross-validation (unless
 * C is fixed), then fit at that C, warm-started from the inner solutions. The k-fold evaluation runs
 * exactly this inside every outer fold (nested cross-validation: the reported figures never saw the
 * cells that chose C), and the final head is this on all cells. `npm run train-head` runs it too.
 */
import type { LbfgsStep } from './lbfgs.ts';
import { checkTrainingInput, featureStats, fitStandardizedSteps, standardize, unstandardize } from './logreg.ts';
import { selectCSteps, type CSelection, type SelectCOptions, type SelectStep } from './selectC.ts';
import { mapSteps, type Steps } from './steps.ts';

export interface LinearFitOptions {
  /** fixed C: no inner cross-validation */
  C?: number;
  selection?: SelectCOptions;
  /** final fit: gradient tolerance (default 1e-4) and iteration cap (default 500) */
  tol?: number;
  maxIter?: number;
}

export interface LinearFit {
  /** numClasses × d, row-major, for raw embeddings */
  weight: Float32Array;
  bias: Float32Array;
  C: number;
  /** null when C was fixed */
  selection: CSelection | null;
  iterations: number;
  converged: boolean;
  loss: number;
}

export type LinearFitStep = ({ phase: 'select' } & SelectStep) | { phase: 'fit'; C: number; iteration: number };

export function* fitLinearSteps(X: Float32Array, n: number, d: number, y: Int32Array, K: number, opts: LinearFitOptions = {}): Steps<LinearFitStep, LinearFit> {
  checkTrainingInput(X, n, d, y, K);
  let selection: CSelection | null = null;
  let C = opts.C;
  if (C === undefined) {
    selection = yield* mapSteps(selectCSteps(X, n, d, y, K, opts.selection), (s): LinearFitStep => ({ phase: 'select', ...s }));
    C = selection.C;
  }
  if (!(C > 0)) throw new RangeError(`C must be > 0, got ${C}`);
  const { mean, std } = featureStats(X, n, d);
  const Xs = standardize(X, n, d, mean, std);
  const fitC = C;
  const fit = yield* mapSteps(
    fitStandardizedSteps(Xs, n, d, y, K, { C: fitC, tol: opts.tol ?? 1e-4, maxIter: opts.maxIter ?? 500, init: selection?.warmStart }),
    (s: LbfgsStep): LinearFitStep => ({ phase: 'fit', C: fitC, iteration: s.iteration }),
  );
  const { weight, bias } = unstandardize(fit.theta, mean, std, K, d);
  if (selection) delete selection.warmStart; // large, and of no use to anyone after this fit
  return { weight, bias, C, selection, iterations: fit.iterations, converged: fit.converged, loss: fit.loss };
}
