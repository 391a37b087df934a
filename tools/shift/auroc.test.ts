import { describe, expect, it } from 'vitest';
import { auroc } from './auroc.ts';

describe('auroc', () => {
  it('is the Mann–Whitney probability, ties counted one half (as sklearn roc_auc_score)', () => {
    expect(auroc([0, 1, 2], [3, 4])).toBe(1);
    expect(auroc([3, 4], [0, 1, 2])).toBe(0);
    expect(auroc([1, 1], [1, 1])).toBe(0.5);
    // sklearn: roc_auc_score([0,0,0,1,1,1], [0.1,0.4,0.35,0.8,0.4,0.2]) = 0.7222…
    expect(auroc([0.1, 0.4, 0.35], [0.8, 0.4, 0.2])).toBeCloseTo(6.5 / 9, 12);
    expect(auroc([0.1, NaN], [0.2])).toBe(1);
    expect(Number.isNaN(auroc([], [1]))).toBe(true);
  });
});
