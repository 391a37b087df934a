import { describe, expect, it } from 'vitest';
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
