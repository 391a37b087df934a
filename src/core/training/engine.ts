/**
 * The training engine: what the training worker runs (workers/training.worker.ts is a thin comlink
 * shell around TrainingEngine) and what `npm run train-head` runs. Given embeddings and labels it
 *   1. checks them and settles the classes (empty classes left out; a class with one cell left out
 *      with a message; fewer than two classes refused),
 *   2. evaluates by stratified k-fold (nested C selection) the linear head and kNN (k = 1, 20),
 *   3. fits temperature scaling on the out-of-fold logits,
 *   4. fits the final head on all cells (C by inner cross-validation unless fixed),
 *   5. scores the current head on the same cells where the classes allow.
 * Everything is a step generator (steps.ts): synchronous in the CLI, cooperative in the worker,
 * where cancel(jobId) stops it between two iterations and nothing is returned.
 */
import type { LinearHead } from '../head.ts';
import { fitTemperatureOutOfFold, foldTemperature, type TemperatureFit } from './calibration.ts';
import { crossValidateSteps, KNN_KS, type CrossValidation, type CvStep } from './crossValidate.ts';
import { compareWithCurrentHead, currentHeadScores, type CurrentHeadComparison, type CurrentHeadScores } from './currentHead.ts';
import { classCounts, planFolds } from './folds.ts';
import { fitLinearSteps, type LinearFit, type LinearFitStep } from './fitLinear.ts';
import { DEFAULT_C_GRID } from './selectC.ts';
import { drain, mapSteps, runSteps, type AbortFlag, type Steps } from './steps.ts';

import { TrainingInputError } from './errors.ts';
import { buildShiftStats, type ShiftStats } from '../shift/stats.ts';
import { CancelledError } from './steps.ts';

export { CancelledError } from './steps.ts';
export { TrainingInputError } from './errors.ts';

export interface TrainOptions {
  /** outer folds of the evaluation, default 5; 0 = no evaluation (and no temperature) */
  folds?: number;
  /** seed of the fold assignment, default 0 */
  seed?: number;
  shuffle?: boolean;
  /** inner folds of the C selection, default 3 */
  innerFolds?: number;
  /** fixed C (no inner cross-validation) */
  C?: number;
  cGrid?: readonly number[];
  /** C values without improvement before the walk up the grid stops, default 2 */
  patience?: number;
  /** evaluate kNN (k = 1 and 20) too, default true */
  knn?: boolean;
  /** temperature scaling from the out-of-fold logits, default true */
  calibrate?: boolean;
  /** final fit: gradient tolerance (default 1e-4), iterations (default 500) */
  tol?: number;
  maxIter?: number;
  /** inner (C selection) fits: gradient tolerance, default 3e-4 (see selectC.ts) */
  innerTol?: number;
}

export interface TrainRequest {
  jobId: string;
  /** class names; labels index this list */
  classes: string[];
  /** n × dim, row-major (transferred to the worker, never copied) */
  embeddings: Float32Array;
  labels: Int32Array;
  dim: number;
  options?: TrainOptions;
  /** the head in use now: its probabilities on these cells, or the head itself */
  currentHead?: CurrentHeadScores | { name?: string; head: LinearHead };
  /**
   * Also compute reference statistics for shift checks (src/core/shift) from the same cells, for
   * this encoder; only in TrainingEngine (the worker), after the head is trained.
   */
  shiftStats?: { bundleId: string; encoderSha256: string[]; source?: string };
}

export type TrainStage = 'checking' | 'evaluating' | 'calibrating' | 'fitting' | 'comparing';

export interface TrainProgress {
  jobId: string;
  stage: TrainStage;
  /** 0-based outer fold while evaluating */
  fold?: number;
  folds?: number;
  iteration?: number;
  /** e.g. "Fold 2 of 5: choosing C (C = 0.1), iteration 40" */
  detail: string;
  /** rough share of the work done, 0..1 */
  fraction: number;
  elapsedMs: number;
}

export interface TrainResult {
  jobId: string;
  /** the classes of the head (classes with fewer than 2 cells left out), labels re-indexed onto them */
  classes: string[];
  counts: number[];
  inputDim: number;
  n: number;
  /** the final head, temperature folded in: what to save and use */
  head: LinearHead;
  /** the fit before temperature scaling */
  linear: LinearFit;
  temperature: number;
  calibration: TemperatureFit | null;
  evaluation: CrossValidation | null;
  /** labels of the cells in the evaluation, re-indexed onto `classes` (evaluation.* predictions index the same list) */
  labels: Int32Array;
  comparison: CurrentHeadComparison | null;
  /** what was done and why (small classes, fewer folds, dropped classes…) */
  messages: string[];
  options: Required<Omit<TrainOptions, 'C' | 'cGrid'>> & { C: number | null; cGrid: number[] };
  seconds: { evaluation: number; final: number; total: number };
  /** reference statistics when asked for (null with `shiftNote` saying why they could not be made) */
  shiftStats?: ShiftStats | null;
  shiftNote?: string;
}

function resolveOptions(o: TrainOptions = {}): TrainResult['options'] {
  return {
    folds: o.folds ?? 5,
    seed: o.seed ?? 0,
    shuffle: o.shuffle ?? true,
    innerFolds: o.innerFolds ?? 3,
    C: o.C ?? null,
    cGrid: [...(o.cGrid ?? DEFAULT_C_GRID)],
    patience: o.patience ?? 2,
    knn: o.knn ?? true,
    calibrate: o.calibrate ?? true,
    tol: o.tol ?? 1e-4,
    maxIter: o.maxIter ?? 500,
    innerTol: o.innerTol ?? 3e-4,
  };
}

/** Checks the request; keeps classes with >= 2 cells. Throws TrainingInputError. */
export function settleClasses(req: Pick<TrainRequest, 'classes' | 'embeddings' | 'labels' | 'dim'>): {
  classes: string[];
  counts: number[];
  X: Float32Array;
  y: Int32Array;
  messages: string[];
} {
  const { classes, embeddings, labels, dim } = req;
  const n = labels.length;
  if (!Number.isInteger(dim) || dim < 1) throw new TrainingInputError(`Embedding dimension must be a positive integer, got ${dim}.`);
  if (embeddings.length !== n * dim) {
    throw new TrainingInputError(`${embeddings.length} embedding values for ${n} cells × ${dim} dimensions.`);
  }
  if (new Set(classes).size !== classes.length) throw new TrainingInputError('Two classes have the same name.');
  for (let i = 0; i < n; i++) {
    if (!(labels[i]! >= 0 && labels[i]! < classes.length)) throw new TrainingInputError(`Cell ${i} has label ${labels[i]}, outside the ${classes.length} classes.`);
  }
  for (let i = 0; i < embeddings.length; i++) {
    if (!Number.isFinite(embeddings[i]!)) throw new TrainingInputError(`Cell ${Math.floor(i / dim)} has an embedding value that is not a finite number.`);
  }
  const counts = classCounts(labels, classes.length);
  const messages: string[] = [];
  const keep = classes.map((_, c) => c).filter((c) => counts[c]! >= 2);
  const single = classes.filter((_, c) => counts[c] === 1);
  const empty = classes.filter((_, c) => counts[c] === 0);
  if (single.length > 0) {
    messages.push(
      `Left out ${single.map((c) => `"${c}"`).join(', ')}: only one cell each (a class needs at least 2 cells to be trained and checked).`,
    );
  }
  if (empty.length > 0) messages.push(`No cells for ${empty.map((c) => `"${c}"`).join(', ')}: not in the head.`);
  if (keep.length < 2) {
    const have = keep.length === 1 ? `only "${classes[keep[0]!]}" (${counts[keep[0]!]} cells)` : 'none';
    throw new TrainingInputError(`A head needs at least two classes with 2 or more cells each; this training set has ${have}.`);
  }
  if (keep.length === classes.length) return { classes: classes.slice(), counts, X: embeddings, y: labels, messages };
  const remap = new Int32Array(classes.length).fill(-1);
  keep.forEach((c, i) => (remap[c] = i));
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (remap[labels[i]!]! >= 0) rows.push(i);
  const X = new Float32Array(rows.length * dim);
  rows.forEach((i, r) => X.set(embeddings.subarray(i * dim, (i + 1) * dim), r * dim));
  return {
    classes: keep.map((c) => classes[c]!),
    counts: keep.map((c) => counts[c]!),
    X,
    y: Int32Array.from(rows, (i) => remap[labels[i]!]!),
    messages,
  };
}

function describeLinear(s: LinearFitStep): string {
  return s.phase === 'select'
    ? `choosing C (C = ${s.C}, inner fold ${s.innerFold + 1} of ${s.innerFolds}), iteration ${s.iteration}`
    : `fitting at C = ${s.C}, iteration ${s.iteration}`;
}

/** Share of one linear fit (selection + fit) done, for the progress bar. */
function linearFraction(s: LinearFitStep): number {
  if (s.phase === 'select') return (0.85 * (s.cIndex + (s.innerFold + Math.min(1, s.iteration / 150)) / s.innerFolds)) / s.gridSize;
  return 0.85 + 0.15 * Math.min(1, s.iteration / 150);
}

/** The whole training as a step generator. */
export function* trainSteps(req: TrainRequest, now: () => number = () => performance.now()): Steps<TrainProgress, TrainResult> {
  const t0 = now();
  const o = resolveOptions(req.options);
  const progress = (stage: TrainStage, detail: string, fraction: number, extra: Partial<TrainProgress> = {}): TrainProgress => ({
    jobId: req.jobId,
    stage,
    detail,
    fraction: Math.max(0, Math.min(1, fraction)),
    elapsedMs: now() - t0,
    ...extra,
  });
  yield progress('checking', 'Checking the training set', 0);
  const { classes, counts, X, y, messages } = settleClasses(req);
  const d = req.dim;
  const n = y.length;
  const plan = planFolds(counts, classes, o.folds);
  messages.push(...plan.messages);
  const linearOpts = {
    C: o.C ?? undefined,
    tol: o.tol,
    maxIter: o.maxIter,
    selection: { grid: o.cGrid, innerFolds: o.innerFolds, seed: o.seed, patience: o.patience, tol: o.innerTol },
  };
  // work shares: the k outer folds weigh 1 each, the final fit (all cells) 1.25
  const total = plan.k + 1.25;

  let evaluation: CrossValidation | null = null;
  let calibration: TemperatureFit | null = null;
  const tEval = now();
  if (plan.k >= 2) {
    evaluation = yield* mapSteps(
      crossValidateSteps(X, n, d, y, classes, { k: plan.k, seed: o.seed, shuffle: o.shuffle, linear: linearOpts, knnKs: o.knn ? KNN_KS : [] }),
      (s: CvStep): TrainProgress => {
        const within = s.part === 'linear' ? 0.8 * linearFraction(s.step) : 0.8 + (0.2 * s.done) / s.total;
        const what = s.part === 'linear' ? describeLinear(s.step) : `kNN, ${s.done} of ${s.total} cells`;
        return progress('evaluating', `Fold ${s.fold + 1} of ${s.folds}: ${what}`, (s.fold + within) / total, {
          fold: s.fold,
          folds: s.folds,
          iteration: s.part === 'linear' ? s.step.iteration : undefined,
        });
      },
    );
    const cs = [...new Set(evaluation.linear.cPerFold)];
    if (o.C === null && cs.length > 1) messages.push(`The folds chose different C values (${evaluation.linear.cPerFold.join(', ')}): the figures include that uncertainty.`);
    if (o.calibrate) {
      yield progress('calibrating', 'Temperature scaling on the out-of-fold scores', plan.k / total);
      calibration = fitTemperatureOutOfFold(evaluation.linear.logits, y, evaluation.foldOf, evaluation.k, classes.length);
      if (!calibration.improves) {
        messages.push(
          `No temperature scaling: the fitted T = ${calibration.temperature.toFixed(2)} did not improve the log-likelihood of held-out folds (the probabilities are already about as calibrated as these cells can tell).`,
        );
      }
    }
  } else if (o.calibrate && o.folds >= 2) {
    messages.push('No temperature scaling: it needs out-of-fold scores, and this set allows no cross-validation.');
  }
  const evaluationSeconds = (now() - tEval) / 1000;

  const tFinal = now();
  const base = plan.k >= 2 ? plan.k : 0;
  const linear = yield* mapSteps(fitLinearSteps(X, n, d, y, classes.length, linearOpts), (s) =>
    progress('fitting', `Final head on all ${n} cells: ${describeLinear(s)}`, (base + 1.25 * linearFraction(s)) / total, { iteration: s.iteration }),
  );
  if (!linear.converged) messages.push(`The final fit stopped after ${linear.iterations} iterations without reaching the tolerance; the head is usable but may be slightly off the optimum.`);
  if (linear.selection?.note) messages.push(`C: ${linear.selection.note}.`);
  const finalSeconds = (now() - tFinal) / 1000;
  const temperature = calibration?.improves ? calibration.temperature : 1;
  const folded = foldTemperature(linear.weight, linear.bias, temperature);
  const head: LinearHead = { classes, inputDim: d, weight: folded.weight, bias: folded.bias };

  let comparison: CurrentHeadComparison | null = null;
  if (req.currentHead) {
    yield progress('comparing', 'Scoring the current head on the same cells', 1);
    const cur = 'head' in req.currentHead ? currentHeadScores(req.currentHead.head, X, n, req.currentHead.name) : subsetScores(req, req.currentHead, X === req.embeddings, y);
    comparison = compareWithCurrentHead(classes, y, cur, evaluation?.linear.predictions);
  }
  return {
    jobId: req.jobId,
    classes,
    counts,
    inputDim: d,
    n,
    head,
    linear,
    temperature,
    calibration,
    evaluation,
    labels: y,
    comparison,
    messages,
    options: o,
    seconds: { evaluation: evaluationSeconds, final: finalSeconds, total: (now() - t0) / 1000 },
  };
}

/** The current head's given probabilities for the cells that stayed in (classes with >= 2 cells). */
function subsetScores(req: TrainRequest, cur: CurrentHeadScores, all: boolean, y: Int32Array): CurrentHeadScores {
  const C = cur.classes.length;
  if (cur.probabilities.length !== req.labels.length * C) {
    throw new TrainingInputError(`The current head's scores cover ${cur.probabilities.length / C} cells, the training set has ${req.labels.length}.`);
  }
  if (all) return cur;
  const counts = classCounts(req.labels, req.classes.length);
  const rows: number[] = [];
  for (let i = 0; i < req.labels.length; i++) if (counts[req.labels[i]!]! >= 2) rows.push(i);
  if (rows.length !== y.length) throw new Error('internal: kept cells do not match');
  const p = new Float32Array(rows.length * C);
  rows.forEach((i, r) => {
    for (let c = 0; c < C; c++) p[r * C + c] = cur.probabilities[i * C + c]!;
  });
  return { name: cur.name, classes: cur.classes, probabilities: p };
}

/** Train synchronously (CLI, tests): the same computation as the worker's. */
export function trainHeadSync(req: TrainRequest, onProgress?: (p: TrainProgress) => void): TrainResult {
  return drain(trainSteps(req), onProgress);
}

/**
 * What the training worker exposes. One training at a time per call; cancel(jobId) makes that
 * train() reject with CancelledError at its next turn of the event loop: after at most ~25 ms of
 * work, or one L-BFGS iteration when that is longer. Measured in Chromium through
 * src/inference/trainingClient.ts on the shared 2-core machine: 11–460 ms from abort() to the
 * rejection; the longest stretches are the first evaluations, before V8 has optimised the loops.
 */
export class TrainingEngine {
  private readonly running = new Map<string, { aborted: boolean }>();
  private readonly cancelledEarly = new Set<string>();

  async train(request: TrainRequest, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
    const flag = { aborted: this.cancelledEarly.delete(request.jobId) };
    this.running.set(request.jobId, flag);
    try {
      const result = await runSteps(trainSteps(request), {
        signal: flag satisfies AbortFlag,
        onProgress,
        progressMs: 150,
        milestone: (a, b) => a?.stage !== b.stage || a?.fold !== b.fold,
      });
      if (!request.shiftStats) return result;
      if (flag.aborted) throw new CancelledError();
      // The lab's own cells are what a lab head has seen: its shift checks measure against them.
      try {
        const n = request.labels.length;
        const shiftStats = buildShiftStats(request.embeddings, n, request.dim, request.labels, request.classes, { ...request.shiftStats });
        return { ...result, shiftStats };
      } catch (e) {
        return { ...result, shiftStats: null, shiftNote: `No shift checks for this head: ${(e as Error).message}.` };
      }
    } finally {
      this.running.delete(request.jobId);
    }
  }

  cancel(jobId: string): void {
    const flag = this.running.get(jobId);
    if (flag) flag.aborted = true;
    else this.cancelledEarly.add(jobId);
  }
}
