import { describe, expect, it } from 'vitest';
import { knnPredict } from './knn.ts';
import { accuracy, balancedAccuracy, classificationReport, confusionMatrix, formatReport, weightedF1 } from './metrics.ts';

describe('metrics (hand-computed)', () => {
  // true: 0 0 0 1 1 2 ; pred: 0 0 1 1 2 2
  const yTrue = [0, 0, 0, 1, 1, 2];
  const yPred = [0, 0, 1, 1, 2, 2];
  const classes = ['neutrophil', 'lymphocyte', 'monocyte'];

  it('confusion matrix', () => {
    expect(confusionMatrix(yTrue, yPred, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('accuracy, balanced accuracy, weighted F1, per class', () => {
    expect(accuracy(yTrue, yPred)).toBeCloseTo(4 / 6, 12);
    // recalls 2/3, 1/2, 1
    expect(balancedAccuracy(yTrue, yPred, 3)).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3, 12);
    // precisions 1, 1/2, 1/2 ; F1 0.8, 0.5, 2/3 ; supports 3, 2, 1
    expect(weightedF1(yTrue, yPred, 3)).toBeCloseTo((3 * 0.8 + 2 * 0.5 + 1 * (2 / 3)) / 6, 12);
    const r = classificationReport(yTrue, yPred, classes);
    expect(r.perClass.map((c) => [c.cls, c.precision, c.recall, c.support])).toEqual([
      ['neutrophil', 1, 2 / 3, 3],
      ['lymphocyte', 0.5, 0.5, 2],
      ['monocyte', 0.5, 1, 1],
    ]);
    expect(r.perClass[0]!.f1).toBeCloseTo(0.8, 12);
    expect(r.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(r.n).toBe(6);
  });

  it('ignores absent classes in balanced accuracy (sklearn) and counts abstentions as misses', () => {
    // class 2 never occurs in y_true
    const r = classificationReport([0, 0, 1, 1], [0, 2, 1, -1], ['a', 'b', 'c']);
    expect(r.balancedAccuracy).toBeCloseTo((0.5 + 0.5) / 2, 12);
    expect(r.accuracy).toBe(0.5);
    expect(r.abstained).toBe(1);
    expect(r.perClass[1]!.support).toBe(2);
    expect(r.perClass[1]!.precision).toBe(1);
    expect(r.perClass[2]!.precision).toBe(0);
    expect(r.confusion).toEqual([
      [1, 0, 1],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('formats a plain and a markdown report', () => {
    const r = classificationReport(yTrue, yPred, classes);
    const plain = formatReport(r, { title: 'val' });
    expect(plain).toContain('accuracy 66.7%');
    expect(plain).toContain('balanced accuracy 72.2%');
    expect(plain).toMatch(/neutrophil\s+100\.0\s+66\.7\s+80\.0\s+3/);
    const md = formatReport(r, { markdown: true });
    expect(md).toContain('| class');
    expect(md.split('\n').filter((l) => l.startsWith('| neutrophil'))).toHaveLength(2);
  });

  it('rejects mismatched inputs', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/2 true labels but 1 predictions/);
    expect(() => confusionMatrix([0, 5], [0, 1], 2)).toThrow(/outside/);
  });
});

describe('knnPredict', () => {
  // 1-D points; class 0 around 0, class 1 around 10
  const trainX = new Float32Array([0, 1, 2, 10, 11, 12, 5.5]);
  const trainY = new Int32Array([0, 0, 0, 1, 1, 1, 1]);

  it('k=1 returns the nearest label', () => {
    const q = new Float32Array([0.4, 9, 5.4, 3.5]);
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, q, 4, 1, 2))).toEqual([0, 1, 1, 0]);
  });

  it('majority vote with k=3', () => {
    // for 5.0: nearest are 5.5 (1), 2 (0) and 1 (0) -> 0 wins 2:1
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, new Float32Array([5.0]), 1, 3, 2))).toEqual([0]);
  });

  it('breaks ties in favour of the nearest neighbour', () => {
    // k=2 at 4.5: neighbours 5.5 (1, d=1) and 2 (0, d=2.5): 1:1 tie -> class of 5.5
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, new Float32Array([4.5]), 1, 2, 2))).toEqual([1]);
    // k=2 at 3.2: neighbours 2 (0, d=1.2) and 5.5 (1, d=2.3) -> 0
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, new Float32Array([3.2]), 1, 2, 2))).toEqual([0]);
  });

  it('works in several dimensions and clamps k to nTrain', () => {
    const d = 3;
    const tx = new Float32Array([0, 0, 0, 1, 0, 0, 10, 10, 10]);
    const ty = new Int32Array([2, 2, 0]);
    const q = new Float32Array([9, 9, 9, 0.2, 0.1, 0]);
    expect(Array.from(knnPredict(tx, ty, 3, d, q, 2, 1, 3))).toEqual([0, 2]);
    expect(Array.from(knnPredict(tx, ty, 3, d, q, 2, 20, 3))).toEqual([2, 2]);
  });

  it('matches brute force on random data', () => {
    let s = 1;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const nT = 200;
    const d = 8;
    const K = 4;
    const tx = Float32Array.from({ length: nT * d }, rnd);
    const ty = Int32Array.from({ length: nT }, () => Math.floor(rnd() * K));
    const nQ = 30;
    const q = Float32Array.from({ length: nQ * d }, rnd);
    const k = 7;
    const got = knnPredict(tx, ty, nT, d, q, nQ, k, K);
    for (let i = 0; i < nQ; i++) {
      const dists = Array.from({ length: nT }, (_, t) => {
        let acc = 0;
        for (let j = 0; j < d; j++) acc += (q[i * d + j]! - tx[t * d + j]!) ** 2;
        return { t, acc };
      }).sort((a, b) => a.acc - b.acc || a.t - b.t);
      const nn = dists.slice(0, k);
      const votes = new Array<number>(K).fill(0);
      for (const { t } of nn) votes[ty[t]!]!++;
      const max = Math.max(...votes);
      const expected = ty[nn.find(({ t }) => votes[ty[t]!] === max)!.t]!;
      expect(got[i]).toBe(expected);
    }
  });
});
