/**
 * Stratified k-fold evaluation of the linear head (nested: C chosen inside each outer training
 * fold, src/core/training/fitLinear.ts) and of kNN (k = 1 and 20, Euclidean on raw embeddings), on
 * the same folds. Every cell is predicted once, by models that never saw it; the pooled predictions
 * give accuracy, balanced accuracy, weighted F1, per-class precision/recall and the confusion matrix
 * (src/core/metrics.ts), the per-fold figures give the spread.
 */
import { classificationReport, type ClassificationReport } from '../metrics.ts';
import { foldSplit, stratifiedFolds, takeLabels, takeRows } from './folds.ts';
import { fitLinearSteps, type LinearFitOptions, type LinearFitStep } from './fitLinear.ts';
import { knnNeighborsSteps, knnVote } from './knn.ts';
import { argmaxRows, linearLogits } from './logreg.ts';
import { mapSteps, type Steps } from './steps.ts';

export const KNN_KS: readonly number[] = [1, 20];

export interface CrossValidationOptions {
  /** number of folds (>= 2; see planFolds for what a small class allows) */
  k: number;
  seed?: number;
  /** default true: cells of a class are shuffled (seeded) before they are dealt to the folds */
  shuffle?: boolean;
  linear?: LinearFitOptions;
  /** kNN neighbourhood sizes to evaluate, default [1, 20]; [] for none */
  knnKs?: readonly number[];
}

export interface MetricSpread {
  mean: number;
  /** sample standard deviation over the folds */
  sd: number;
  min: number;
  max: number;
}

export interface FoldScores {
  fold: number;
  nTrain: number;
  nTest: number;
  accuracy: number;
  balancedAccuracy: number;
  weightedF1: number;
}

export interface ModelEvaluation {
  method: string;
  /** pooled over all folds (every cell once) */
  report: ClassificationReport;
  folds: FoldScores[];
  spread: { accuracy: MetricSpread; balancedAccuracy: MetricSpread; weightedF1: MetricSpread };
  /** out-of-fold predicted class per cell */
  predictions: Int32Array;
}

export interface LinearEvaluation extends ModelEvaluation {
  /** C chosen in each outer fold */
  cPerFold: number[];
  /** out-of-fold logits, n × numClasses (temperature scaling is fitted on these) */
  logits: Float64Array;
}

export interface KnnEvaluation extends ModelEvaluation {
  k: number;
}

export interface CrossValidation {
  k: number;
  seed: number;
  shuffle: boolean;
  foldOf: Int32Array;
  linear: LinearEvaluation;
  knn: KnnEvaluation[];
}

export type CvStep =
  | { fold: number; folds: number; part: 'linear'; step: LinearFitStep }
  | { fold: number; folds: number; part: 'knn'; done: number; total: number };

export function spreadOf(values: number[]): MetricSpread {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

function evaluation(method: string, y: Int32Array, pred: Int32Array, classes: string[], folds: FoldScores[]): ModelEvaluation {
  return {
    method,
    report: classificationReport(y, pred, classes),
    folds,
    spread: {
      accuracy: spreadOf(folds.map((f) => f.accuracy)),
      balancedAccuracy: spreadOf(folds.map((f) => f.balancedAccuracy)),
      weightedF1: spreadOf(folds.map((f) => f.weightedF1)),
    },
    predictions: pred,
  };
}

function foldScores(fold: number, nTrain: number, yTest: Int32Array, pred: Int32Array, classes: string[]): FoldScores {
  const r = classificationReport(yTest, pred, classes);
  return { fold, nTrain, nTest: yTest.length, accuracy: r.accuracy, balancedAccuracy: r.balancedAccuracy, weightedF1: r.weightedF1 };
}

export function* crossValidateSteps(
  X: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  classes: string[],
  opts: CrossValidationOptions,
): Steps<CvStep, CrossValidation> {
  const K = classes.length;
  const k = opts.k;
  const seed = opts.seed ?? 0;
  const shuffle = opts.shuffle ?? true;
  const ks = [...(opts.knnKs ?? KNN_KS)];
  const foldOf = stratifiedFolds(y.subarray(0, n), K, k, { seed, shuffle });
  const logits = new Float64Array(n * K);
  const linPred = new Int32Array(n);
  const knnPred = ks.map(() => new Int32Array(n));
  const linFolds: FoldScores[] = [];
  const knnFolds: FoldScores[][] = ks.map(() => []);
  const cPerFold: number[] = [];
  for (let f = 0; f < k; f++) {
    const { train, test } = foldSplit(foldOf, f);
    const Xtr = takeRows(X, d, train);
    const ytr = takeLabels(y, train);
    const Xte = takeRows(X, d, test);
    const yte = takeLabels(y, test);
    // the inner selection gets its own seed per fold, so folds do not share inner splits by accident
    const linear = opts.linear ?? {};
    const fit = yield* mapSteps(
      fitLinearSteps(Xtr, train.length, d, ytr, K, { ...linear, selection: { ...linear.selection, seed: seed * 31 + f + 1 } }),
      (step): CvStep => ({ fold: f, folds: k, part: 'linear', step }),
    );
    cPerFold.push(fit.C);
    const lg = linearLogits(fit.weight, fit.bias, Xte, test.length, d, K);
    const pred = argmaxRows(lg, test.length, K);
    test.forEach((i, r) => {
      logits.set(lg.subarray(r * K, (r + 1) * K), i * K);
      linPred[i] = pred[r]!;
    });
    linFolds.push(foldScores(f, train.length, yte, pred, classes));
    if (ks.length > 0) {
      const nb = yield* mapSteps(knnNeighborsSteps(Xtr, train.length, d, Xte, test.length, Math.max(...ks)), (s): CvStep => ({ fold: f, folds: k, part: 'knn', ...s }));
      ks.forEach((kk, j) => {
        const p = knnVote(nb, ytr, test.length, kk, K);
        test.forEach((i, r) => (knnPred[j]![i] = p[r]!));
        knnFolds[j]!.push(foldScores(f, train.length, yte, p, classes));
      });
    }
  }
  const yy = y.subarray(0, n);
  return {
    k,
    seed,
    shuffle,
    foldOf,
    linear: { ...evaluation('logistic regression', yy, linPred, classes, linFolds), cPerFold, logits },
    knn: ks.map((kk, j) => ({ ...evaluation(`kNN (k = ${kk})`, yy, knnPred[j]!, classes, knnFolds[j]!), k: kk })),
  };
}
