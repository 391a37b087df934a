import { describe, expect, it } from 'vitest';
import { differentialCounts, roundPercentages } from './differential.ts';
import { UNIDENTIFIED } from './head.ts';

const classes = ['neutrophil', 'lymphocyte', 'monocyte'];

describe('differentialCounts', () => {
  it('counts classes, unidentified and errors; percentages of classified cells add to 100', () => {
    const cells = [
      ...Array.from({ length: 5 }, () => ({ className: 'neutrophil' })),
      ...Array.from({ length: 3 }, () => ({ className: 'lymphocyte' })),
      ...Array.from({ length: 1 }, () => ({ className: 'monocyte' })),
      { className: UNIDENTIFIED },
      { className: UNIDENTIFIED },
      { className: null },
    ];
    const r = differentialCounts(cells, classes);
    expect(r.total).toBe(12);
    expect(r.classified).toBe(9);
    expect(r.unidentified).toBe(2);
    expect(r.errors).toBe(1);
    expect(r.classified + r.unidentified + r.errors).toBe(r.total);
    expect(r.rows.map((x) => [x.className, x.count])).toEqual([
      ['neutrophil', 5],
      ['lymphocyte', 3],
      ['monocyte', 1],
    ]);
    expect(r.rows[0]!.percent).toBeCloseTo(500 / 9, 10);
    expect(r.rows.reduce((a, x) => a + x.percent, 0)).toBeCloseTo(100, 10);
    // 55.56 / 33.33 / 11.11 -> rounded values still add to exactly 100.0
    expect(r.rows.map((x) => x.percentRounded)).toEqual([55.6, 33.3, 11.1]);
    expect(Math.round(r.rows.reduce((a, x) => a + x.percentRounded, 0) * 10)).toBe(1000);
  });

  it('keeps classes with no cells, handles empty input and names outside the model', () => {
    const empty = differentialCounts([], classes);
    expect(empty.total).toBe(0);
    expect(empty.rows.every((x) => x.count === 0 && x.percent === 0 && x.percentRounded === 0)).toBe(true);
    const r = differentialCounts([{ className: 'neutrophil' }, { className: 'blast' }], classes);
    expect(r.rows.map((x) => x.className)).toEqual([...classes, 'blast']);
    expect(r.classified).toBe(2);
    expect(r.rows[3]!.percent).toBe(50);
  });

  it('roundPercentages: largest remainder', () => {
    expect(roundPercentages([100 / 3, 100 / 3, 100 / 3], 1)).toEqual([33.4, 33.3, 33.3]);
    expect(roundPercentages([100 / 7, (600 / 7)], 0)).toEqual([14, 86]);
    const parts = [12.345, 20.005, 67.65];
    expect(roundPercentages(parts, 1).reduce((a, b) => a + b, 0)).toBeCloseTo(100, 10);
  });
});
