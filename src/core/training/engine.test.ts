/**
 * The training engine: small-class handling and refusals, stratification, the current head's
 * comparison, temperature folding, cancellation and progress (the worker's code path, runSteps).
 */
import { describe, expect, it } from 'vitest';
import { applyHead } from '../head.ts';
import { CancelledError, TrainingEngine, TrainingInputError, trainHeadSync, type TrainProgress, type TrainRequest } from './engine.ts';
import { mulberry32, planFolds, stratifiedFolds } from './folds.ts';
import { argmaxRows } from './logreg.ts';

/** Gaussian blobs: `sizes[c]` cells of class c in d dimensions. */
function blobs(sizes: number[], d: number, sep: number, seed: number): { X: Float32Array; y: Int32Array } {
  const r = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = sizes.map(() => Array.from({ length: d }, () => g() * sep));
  const n = sizes.reduce((a, b) => a + b, 0);
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  let i = 0;
  sizes.forEach((m, c) => {
    for (let k = 0; k < m; k++, i++) {
      y[i] = c;
      for (let j = 0; j < d; j++) X[i * d + j] = centres[c]![j]! + g();
    }
  });
  return { X, y };
}

function request(sizes: number[], extra: Partial<TrainRequest> = {}, d = 6): TrainRequest {
  const { X, y } = blobs(sizes, d, 2.5, 7);
  return { jobId: 'job', classes: sizes.map((_, c) => `class ${c}`), embeddings: X, labels: y, dim: d, ...extra };
}

describe('stratified folds', () => {
  it('spreads every class over the folds evenly (counts differ by at most one) and is seeded', () => {
    const r = mulberry32(3);
    const y = Int32Array.from({ length: 203 }, () => Math.floor(r() * r() * 5));
    const folds = stratifiedFolds(y, 5, 5, { seed: 11 });
    for (let c = 0; c < 5; c++) {
      const per = [0, 1, 2, 3, 4].map((f) => y.filter((l, i) => l === c && folds[i] === f).length);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Array.from(stratifiedFolds(y, 5, 5, { seed: 11 }))).toEqual(Array.from(folds));
    expect(Array.from(stratifiedFolds(y, 5, 5, { seed: 12 }))).not.toEqual(Array.from(folds));
  });

  it('plans fewer folds when a class is small and says so', () => {
    expect(planFolds([30, 20, 10], ['a', 'b', 'c'], 5)).toEqual({ k: 5, requested: 5, messages: [] });
    const small = planFolds([30, 3, 10], ['a', 'b', 'c'], 5);
    expect(small.k).toBe(3);
    expect(small.messages[0]).toBe('Class "b" has only 3 cells: 3-fold cross-validation instead of 5 (every fold needs at least one cell of each class).');
    expect(small.messages[1]).toMatch(/Fewer than 5 cells in "b" \(3\)/);
    expect(planFolds([30, 4, 10], ['a', 'b', 'c'], 3).messages).toEqual([expect.stringMatching(/Fewer than 5 cells in "b" \(4\)/)]);
    expect(planFolds([30, 20], ['a', 'b'], 0).k).toBe(0);
  });
});

describe('training set checks', () => {
  it('refuses one class, and a set whose other classes have a single cell', () => {
    expect(() => trainHeadSync(request([40]))).toThrow(TrainingInputError);
    expect(() => trainHeadSync(request([40]))).toThrow('A head needs at least two classes with 2 or more cells each; this training set has only "class 0" (40 cells).');
    expect(() => trainHeadSync(request([40, 1]))).toThrow(/only "class 0" \(40 cells\)/);
  });

  it('leaves out single-cell and empty classes with a message, and trains the rest', () => {
    const req = request([30, 25, 1]);
    req.classes = [...req.classes, 'empty one'];
    const r = trainHeadSync({ ...req, options: { knn: false } });
    expect(r.classes).toEqual(['class 0', 'class 1']);
    expect(r.n).toBe(55);
    expect(r.head.weight).toHaveLength(2 * 6);
    expect(r.messages).toContain('Left out "class 2": only one cell each (a class needs at least 2 cells to be trained and checked).');
    expect(r.messages).toContain('No cells for "empty one": not in the head.');
  });

  it('a class with 3 cells: 3-fold evaluation, with the reason', () => {
    const r = trainHeadSync(request([30, 20, 3], { options: { knn: false } }));
    expect(r.evaluation?.k).toBe(3);
    expect(r.messages[0]).toMatch(/^Class "class 2" has only 3 cells: 3-fold cross-validation instead of 5/);
    expect(r.evaluation?.linear.report.n).toBe(53);
  });

  it('refuses embeddings of the wrong size and values that are not finite', () => {
    const req = request([10, 10]);
    expect(() => trainHeadSync({ ...req, dim: 5 })).toThrow('120 embedding values for 20 cells × 5 dimensions.');
    const bad = req.embeddings.slice();
    bad[6 * 4 + 2] = Number.NaN;
    expect(() => trainHeadSync({ ...req, embeddings: bad })).toThrow('Cell 4 has an embedding value that is not a finite number.');
  });
});

describe('training result', () => {
  const req = request([40, 30, 20], { options: { seed: 1 } });
  const r = trainHeadSync(req);

  it('evaluates both classifiers on every cell and reports the spread', () => {
    const ev = r.evaluation!;
    expect(ev.k).toBe(5);
    expect(ev.linear.report.n).toBe(90);
    expect(ev.linear.report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(90);
    expect(ev.knn.map((k) => k.k)).toEqual([1, 20]);
    expect(ev.linear.report.balancedAccuracy).toBeGreaterThan(0.8);
    expect(ev.linear.cPerFold).toHaveLength(5);
    expect(r.linear.selection?.evaluated[0]).toBe(0.001);
  });

  it('folds the fitted temperature into the head without changing a prediction', () => {
    expect(r.calibration).not.toBeNull();
    expect(r.calibration!.improves).toBe(r.calibration!.nllAfter < r.calibration!.nllBefore);
    expect(r.temperature).toBe(r.calibration!.improves ? r.calibration!.temperature : 1);
    for (let i = 0; i < r.head.weight.length; i++) expect(r.head.weight[i]).toBeCloseTo(r.linear.weight[i]! / r.temperature, 5);
    const scaled = argmaxRows(applyHead(r.head, req.embeddings, r.n), r.n, 3);
    const raw = argmaxRows(applyHead({ ...r.head, weight: r.linear.weight, bias: r.linear.bias }, req.embeddings, r.n), r.n, 3);
    expect(Array.from(scaled)).toEqual(Array.from(raw));
  });

  it('scores the current head on the cells whose class it knows, beside the new head on the same cells', () => {
    // a "current head" with classes named differently in case, one lab class missing, one extra class
    const cur = { name: 'bundle head', classes: ['CLASS 1', 'class 0', 'platelet'], probabilities: new Float32Array(90 * 3) };
    for (let i = 0; i < 90; i++) {
      const yi = req.labels[i]!;
      cur.probabilities[i * 3 + (yi === 0 ? 1 : yi === 1 ? 0 : 2)] = i % 10 === 0 ? 0.2 : 0.9; // wrong for 1 in 10
      if (i % 10 === 0) cur.probabilities[i * 3 + 2] = cur.probabilities[i * 3 + 2]! + 0.8;
    }
    const rc = trainHeadSync({ ...req, currentHead: cur, options: { seed: 1, knn: false } });
    const c = rc.comparison!;
    expect(c.mapping).toEqual([
      { labClass: 'class 0', headClass: 'class 0' },
      { labClass: 'class 1', headClass: 'CLASS 1' },
      { labClass: 'class 2', headClass: null },
    ]);
    expect(c.n).toBe(70);
    expect(c.excludedCells).toBe(20);
    expect(c.note).toBe('70 of 90 cells compared; 20 cells of "class 2" left out (the current head has no class of that name).');
    expect(c.current!.accuracy).toBeCloseTo(63 / 70, 12);
    expect(c.newHead!.n).toBe(70);
  });

  it('the worker path (runSteps) gives the same head as the synchronous one', async () => {
    const engine = new TrainingEngine();
    const stages: string[] = [];
    const asyncResult = await engine.train({ ...req, jobId: 'same' }, (p) => {
      if (stages[stages.length - 1] !== p.stage) stages.push(p.stage);
    });
    expect(Array.from(asyncResult.head.weight)).toEqual(Array.from(r.head.weight));
    expect(stages[0]).toBe('checking');
    expect(stages).toContain('fitting');
  });
});

describe('cancellation', () => {
  it('cancel(jobId) stops a running training: it rejects with CancelledError and returns nothing', async () => {
    const engine = new TrainingEngine();
    const { X, y } = blobs([300, 300, 300], 48, 0.6, 5);
    const progress: TrainProgress[] = [];
    const run = engine.train({ jobId: 'long', classes: ['a', 'b', 'c'], embeddings: X, labels: y, dim: 48 }, (p) => {
      progress.push(p);
      if (p.stage === 'evaluating') engine.cancel('long');
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await expect(run).rejects.toThrow('Training cancelled.');
    expect(progress.some((p) => p.stage === 'fitting')).toBe(false);
  });

  it('a cancel that arrives before the training starts is honoured', async () => {
    const engine = new TrainingEngine();
    engine.cancel('early');
    await expect(engine.train({ ...request([10, 10]), jobId: 'early' })).rejects.toBeInstanceOf(CancelledError);
    // and does not affect the next job
    await expect(engine.train({ ...request([10, 10]), jobId: 'next', options: { knn: false } })).resolves.toMatchObject({ jobId: 'next' });
  });
});
