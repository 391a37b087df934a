/**
 * src/core/training vs scikit-learn on the committed fixture (src/core/training/__fixtures__, made
 * by `python3 tools/fixtures/sklearn_logreg.py make-training-fixture src/core/training/__fixtures__`):
 * stratified folds vs StratifiedKFold, inner-CV choice of C vs GridSearchCV on the same folds, the
 * final weights, nested cross-validation, kNN vote shares vs KNeighborsClassifier, the metrics vs
 * sklearn.metrics, temperature scaling vs scipy. The reference is committed, so this runs without
 * Python.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classificationReport } from '../metrics.ts';
import { expectedCalibrationError, fitTemperature, softmaxWithTemperature } from './calibration.ts';
import { crossValidateSteps } from './crossValidate.ts';
import { decodeEmbeddingsFile } from './embeddingsFile.ts';
import { fitLinearSteps } from './fitLinear.ts';
import { foldAllocation, foldSplit, stratifiedFolds, takeLabels, takeRows } from './folds.ts';
import { knnNeighbors, knnVote, knnVoteShares } from './knn.ts';
import { selectCSteps } from './selectC.ts';
import { drain } from './steps.ts';

const DIR = join(import.meta.dirname, '__fixtures__');
const fixture = decodeEmbeddingsFile(new Uint8Array(readFileSync(join(DIR, 'train.emb'))), 'train.emb');
interface SkReport {
  accuracy: number;
  balancedAccuracy: number;
  weightedF1: number;
  precision: number[];
  recall: number[];
  confusion: number[][];
}
const ref = JSON.parse(readFileSync(join(DIR, 'sklearn_reference.json'), 'utf8')) as {
  classes: string[];
  grid: number[];
  folds: { k: number; seed: number; outer: number[]; sklearnUnshuffled: number[]; allocation: number[][] };
  final: { folds: number[]; meanScores: number[]; C: number; weight: number[][]; bias: number[] };
  nested: { cPerFold: number[]; predictions: number[]; logits: number[][]; report: SkReport };
  knn: Record<string, { proba: number[][] }>;
  temperature: { T: number; eceBefore: number; eceAtT: number };
};
const X = fixture.embeddings;
const y = fixture.labels;
const n = fixture.header.n;
const d = fixture.header.d;
const classes = fixture.header.classes;
const K = classes.length;
/** tight tolerances so that solver precision does not decide the comparison */
const TIGHT = { tol: 1e-7, maxIter: 5000 };

function expectReport(mine: ReturnType<typeof classificationReport>, sk: SkReport): void {
  expect(mine.accuracy).toBeCloseTo(sk.accuracy, 12);
  expect(mine.balancedAccuracy).toBeCloseTo(sk.balancedAccuracy, 12);
  expect(mine.weightedF1).toBeCloseTo(sk.weightedF1, 12);
  mine.perClass.forEach((c, i) => {
    expect(c.precision).toBeCloseTo(sk.precision[i]!, 12);
    expect(c.recall).toBeCloseTo(sk.recall[i]!, 12);
  });
  expect(mine.confusion).toEqual(sk.confusion);
}

describe('folds vs StratifiedKFold', () => {
  it('deals the same cells per class and fold as sklearn; unshuffled, the very same assignment', () => {
    expect(ref.classes).toEqual(classes);
    expect(Array.from(stratifiedFolds(y, K, 5, { seed: 0, shuffle: false }))).toEqual(ref.folds.sklearnUnshuffled);
    const outer = stratifiedFolds(y, K, 5, { seed: 0 });
    expect(Array.from(outer)).toEqual(ref.folds.outer);
    const perFold = Array.from({ length: 5 }, (_, f) => classes.map((_, c) => y.filter((l, i) => l === c && outer[i] === f).length));
    expect(perFold).toEqual(ref.folds.allocation);
    // sklearn's allocation in the order classes first appear
    const order = [...new Set(Array.from(y))];
    const alloc = foldAllocation(order.map((c) => y.filter((l) => l === c).length), 5);
    expect(alloc.map((row) => classes.map((_, c) => row[order.indexOf(c)]!))).toEqual(ref.folds.allocation);
  });
});

describe('inner-CV choice of C vs GridSearchCV (same folds, balanced accuracy)', () => {
  it('scores every C of the grid as GridSearchCV does and picks the same C', () => {
    const sel = drain(selectCSteps(X, n, d, y, K, { seed: 0, patience: Infinity, ...TIGHT }));
    expect(sel.evaluated).toEqual(ref.grid);
    sel.meanScores.forEach((s, i) => expect(s).toBeCloseTo(ref.final.meanScores[i]!, 9));
    expect(sel.C).toBe(ref.final.C);
  });

  it('with the defaults (looser inner tolerance, early stop) it still picks the same C, evaluating fewer', () => {
    const sel = drain(selectCSteps(X, n, d, y, K, { seed: 0 }));
    expect(sel.C).toBe(ref.final.C);
    expect(sel.evaluated.length).toBeLessThan(ref.grid.length);
    sel.meanScores.forEach((s, i) => expect(Math.abs(s - ref.final.meanScores[i]!)).toBeLessThan(0.01));
  });

  it('the final head equals sklearn’s fit at that C', () => {
    const fit = drain(fitLinearSteps(X, n, d, y, K, { selection: { seed: 0, ...TIGHT }, tol: 1e-8, maxIter: 5000 }));
    expect(fit.C).toBe(ref.final.C);
    let maxW = 0;
    let maxDiff = 0;
    ref.final.weight.forEach((row, c) =>
      row.forEach((w, j) => {
        maxW = Math.max(maxW, Math.abs(w));
        maxDiff = Math.max(maxDiff, Math.abs(w - fit.weight[c * d + j]!));
      }),
    );
    expect(maxDiff / maxW).toBeLessThan(1e-4);
    // the bias absorbs the feature offsets, so compare it through the logits of the cells
    ref.final.bias.forEach((b, c) => expect(Math.abs(b - fit.bias[c]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(b))));
  });
});

describe('nested cross-validation vs sklearn', () => {
  const cv = drain(
    crossValidateSteps(X, n, d, y, classes, { k: 5, seed: 0, linear: { selection: { patience: Infinity, ...TIGHT }, tol: 1e-8, maxIter: 5000 } }),
  );

  it('chooses the same C in every outer fold and predicts every cell as sklearn does', () => {
    expect(cv.linear.cPerFold).toEqual(ref.nested.cPerFold);
    expect(Array.from(cv.linear.predictions)).toEqual(ref.nested.predictions);
    let maxDiff = 0;
    ref.nested.logits.forEach((row, i) => row.forEach((v, c) => (maxDiff = Math.max(maxDiff, Math.abs(v - cv.linear.logits[i * K + c]!)))));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('pooled metrics equal sklearn.metrics on those predictions', () => {
    expectReport(cv.linear.report, ref.nested.report);
    expectReport(classificationReport(y, Int32Array.from(ref.nested.predictions), classes), ref.nested.report);
    expect(cv.linear.folds).toHaveLength(5);
    expect(cv.linear.folds.reduce((a, f) => a + f.nTest, 0)).toBe(n);
    const s = cv.linear.spread.balancedAccuracy;
    expect(s.min).toBeLessThanOrEqual(s.mean);
    expect(s.max).toBeGreaterThanOrEqual(s.mean);
  });

  it('kNN vote shares equal KNeighborsClassifier.predict_proba (k = 1, 20)', () => {
    const outer = Int32Array.from(ref.folds.outer);
    for (const k of [1, 20]) {
      const proba = ref.knn[String(k)]!.proba;
      let ties = 0;
      for (let f = 0; f < 5; f++) {
        const { train, test } = foldSplit(outer, f);
        const nb = knnNeighbors(takeRows(X, d, train), train.length, d, takeRows(X, d, test), test.length, k);
        const shares = knnVoteShares(nb, takeLabels(y, train), test.length, k, K);
        const votes = knnVote(nb, takeLabels(y, train), test.length, k, K);
        test.forEach((i, r) => {
          for (let c = 0; c < K; c++) expect(shares[r * K + c]).toBeCloseTo(proba[i]![c]!, 6);
          const row = proba[i]!;
          const max = Math.max(...row);
          if (row.filter((p) => p === max).length > 1) ties++;
          else expect(votes[r]).toBe(row.indexOf(max));
          expect(cv.knn.find((e) => e.k === k)!.predictions[i]).toBe(votes[r]);
        });
      }
      expect(ties).toBeLessThan(n / 10);
    }
  });
});

describe('temperature scaling vs scipy', () => {
  it('fits the same T on the out-of-fold logits and the same ECE before and after', () => {
    const logits = Float64Array.from(ref.nested.logits.flat());
    const T = fitTemperature(logits, y, n, K);
    expect(Math.abs(T - ref.temperature.T) / ref.temperature.T).toBeLessThan(1e-5);
    expect(expectedCalibrationError(softmaxWithTemperature(logits, n, K, 1), y, n, K).ece).toBeCloseTo(ref.temperature.eceBefore, 9);
    expect(expectedCalibrationError(softmaxWithTemperature(logits, n, K, ref.temperature.T), y, n, K).ece).toBeCloseTo(ref.temperature.eceAtT, 6);
  });
});
