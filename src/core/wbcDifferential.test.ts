import { describe, expect, it } from 'vitest';
import { NOT_CLASSED } from './cellTypes.ts';
import { UNIDENTIFIED } from './head.ts';
import { wbcDifferential, type WbcDifferential } from './wbcDifferential.ts';

type Status = 'queued' | 'classified' | 'error';
const n = (className: string | null, count: number, status: Status = 'classified') =>
  Array.from({ length: count }, () => ({ className, status }));

/** The PBC model's classes. */
const PBC = ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'];

const row = (d: WbcDifferential, name: string) => {
  const r = d.rows.find((x) => x.className === name);
  if (!r) throw new Error(`no row ${name}`);
  return r;
};
const p100 = (d: WbcDifferential, name: string) => {
  const r = d.per100.find((x) => x.className === name);
  if (!r) throw new Error(`no per100 row ${name}`);
  return r;
};
const sumRounded = (d: WbcDifferential) => Math.round(d.rows.reduce((a, r) => a + r.percentRounded, 0) * 10);

describe('wbcDifferential', () => {
  it('splits white cells from the rest and computes percentages of white cells (hand-computed)', () => {
    // 50 neutrophils, 30 lymphocytes, 10 monocytes, 6 eosinophils, 2 basophils, 2 ig = 100 white cells;
    // 5 erythroblasts and 20 platelets are not white cells.
    const cells = [...n('neutrophil', 50), ...n('lymphocyte', 30), ...n('monocyte', 10), ...n('eosinophil', 6), ...n('basophil', 2),
      ...n('ig', 2), ...n('erythroblast', 5), ...n('platelet', 20)];
    const d = wbcDifferential(cells, PBC, { target: 100 });
    expect(d.rows.map((r) => [r.className, r.count])).toEqual([
      ['basophil', 2], ['eosinophil', 6], ['ig', 2], ['lymphocyte', 30], ['monocyte', 10], ['neutrophil', 50],
    ]);
    expect(d.wbcTotal).toBe(100);
    expect(row(d, 'neutrophil').percent).toBe(50);
    expect(row(d, 'eosinophil').percent).toBe(6);
    expect(d.rows.map((r) => r.percentRounded)).toEqual([2, 6, 2, 30, 10, 50]);
    expect(d.per100).toEqual([
      { className: 'erythroblast', category: 'nrbc', count: 5, per100Wbc: 5 },
      { className: 'platelet', category: 'platelet', count: 20, per100Wbc: 20 },
    ]);
    expect(d.rows.every((r) => r.absolute === null && r.members.length === 0)).toBe(true);
    expect(d.wbcCount).toBeNull();
    expect(d.total).toBe(125);
  });

  it('per 100 white cells with a non-round white-cell total', () => {
    // 40 white cells, 3 NRBC → 7.5 per 100 WBC; 1 smudge → 2.5
    const d = wbcDifferential([...n('neutrophil', 30), ...n('lymphocyte', 10), ...n('ERB', 3), ...n(NOT_CLASSED, 1)], PBC, { target: 100 });
    expect(d.wbcTotal).toBe(40);
    expect(row(d, 'neutrophil').percent).toBe(75);
    expect(row(d, 'lymphocyte').percent).toBe(25);
    expect(p100(d, 'ERB')).toEqual({ className: 'ERB', category: 'nrbc', count: 3, per100Wbc: 7.5 });
    expect(p100(d, NOT_CLASSED)).toEqual({ className: NOT_CLASSED, category: 'smudge', count: 1, per100Wbc: 2.5 });
    // model rows first (zero counts included), then names first seen
    expect(d.per100.map((r) => r.className)).toEqual(['erythroblast', 'platelet', 'ERB', NOT_CLASSED]);
    expect(p100(d, 'platelet').per100Wbc).toBe(0);
  });

  it('computes absolute counts ×10⁹/L from the analyser WBC', () => {
    // WBC 8.0 ×10⁹/L; 60 % neutrophils → 4.8, 30 % lymphocytes → 2.4, 10 % monocytes → 0.8
    const cells = [...n('neutrophil', 60), ...n('lymphocyte', 30), ...n('monocyte', 10)];
    const d = wbcDifferential(cells, PBC, { target: 100, wbcCount: 8 });
    expect(d.wbcCount).toBe(8);
    expect(row(d, 'neutrophil').absolute).toBeCloseTo(4.8, 12);
    expect(row(d, 'lymphocyte').absolute).toBeCloseTo(2.4, 12);
    expect(row(d, 'monocyte').absolute).toBeCloseTo(0.8, 12);
    expect(row(d, 'basophil').absolute).toBe(0);
    expect(d.rows.reduce((a, r) => a + r.absolute!, 0)).toBeCloseTo(8, 12);
  });

  it('ignores an unusable WBC count (0, negative, NaN, Infinity, null, undefined)', () => {
    const cells = n('neutrophil', 3);
    for (const wbcCount of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined]) {
      const d = wbcDifferential(cells, PBC, { target: 100, wbcCount });
      expect(d.wbcCount, String(wbcCount)).toBeNull();
      expect(d.rows.every((r) => r.absolute === null), String(wbcCount)).toBe(true);
    }
  });

  it('rolls MMY + MY + PMY up into an ig row with members (model has only the sub-classes)', () => {
    const model = ['neutrophil', 'MMY', 'MY', 'PMY', 'lymphocyte'];
    // 40 neutrophils, 4 MMY, 3 MY, 1 PMY, 32 lymphocytes = 80 white cells; WBC 10 ×10⁹/L
    const cells = [...n('neutrophil', 40), ...n('MMY', 4), ...n('MY', 3), ...n('PMY', 1), ...n('lymphocyte', 32)];
    const d = wbcDifferential(cells, model, { target: 100, wbcCount: 10 });
    expect(d.rows.map((r) => r.className)).toEqual(['neutrophil', 'ig', 'lymphocyte']);
    const ig = row(d, 'ig');
    expect(ig.count).toBe(8);
    expect(ig.percent).toBe(10);
    expect(ig.absolute).toBeCloseTo(1, 12);
    expect(ig.members).toEqual([
      { className: 'MMY', count: 4, percent: 5, absolute: 0.5 },
      { className: 'MY', count: 3, percent: 3.75, absolute: 0.375 },
      { className: 'PMY', count: 1, percent: 1.25, absolute: 0.125 },
    ]);
    expect(d.wbcTotal).toBe(80);
    expect(d.rows.map((r) => r.percent)).toEqual([50, 10, 40]);
    expect(sumRounded(d)).toBe(1000);
  });

  it("puts sub-classes under the model's own ig row, with the cells classed as ig itself", () => {
    // PBC has 'ig'; a reviewer split some into metamyelocyte and myelocyte
    const cells = [...n('ig', 2), ...n('metamyelocyte', 3), ...n('Myelocyte', 1), ...n('neutrophil', 14)];
    const d = wbcDifferential(cells, PBC, { target: 100 });
    const ig = row(d, 'ig');
    expect(ig.count).toBe(6);
    expect(ig.percent).toBe(30);
    expect(ig.members.map((m) => [m.className, m.count, m.percent])).toEqual([['metamyelocyte', 3, 15], ['Myelocyte', 1, 5]]);
    expect(d.rows.map((r) => r.className)).toEqual(['basophil', 'eosinophil', 'ig', 'lymphocyte', 'monocyte', 'neutrophil']);
    expect(d.rows.some((r) => r.className === 'metamyelocyte')).toBe(false);
    expect(d.wbcTotal).toBe(20);
  });

  it('finds the parent row under another spelling, even when it comes after the sub-class', () => {
    const d = wbcDifferential([...n('PMY', 1), ...n('IG', 1)], ['PMY', 'IG'], { target: 100 });
    expect(d.rows.map((r) => [r.className, r.count, r.members.map((m) => m.className)])).toEqual([['IG', 2, ['PMY']]]);
  });

  it('keeps zero-count members for the model sub-classes', () => {
    const d = wbcDifferential(n('MY', 2), ['MMY', 'MY', 'PMY'], { target: 100 });
    expect(d.rows).toHaveLength(1);
    expect(row(d, 'ig').members.map((m) => [m.className, m.count])).toEqual([['MMY', 0], ['MY', 2], ['PMY', 0]]);
    expect(row(d, 'ig').percentRounded).toBe(100);
  });

  it('rounds each row to 1 dp on its own: equal counts read the same, every row is the nearest 0.1', () => {
    // thirds: 33.33… each → 33.3 three times (the column adds to 99.9)
    const thirds = wbcDifferential([...n('neutrophil', 1), ...n('lymphocyte', 1), ...n('monocyte', 1)], ['neutrophil', 'lymphocyte', 'monocyte'], { target: 100 });
    expect(thirds.rows.map((r) => r.percentRounded)).toEqual([33.3, 33.3, 33.3]);
    expect(sumRounded(thirds)).toBe(999);
    // 2 of 7 = 28.571… → 28.6 (largest remainder made it 28.5 to add up to 100.0)
    const sevenths = wbcDifferential(
      [...n('neutrophil', 2), ...n('lymphocyte', 1), ...n('monocyte', 1), ...n('eosinophil', 1), ...n('basophil', 1), ...n('blast', 1)],
      ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil', 'basophil', 'blast'],
      { target: 100 },
    );
    expect(sevenths.rows.map((r) => r.percentRounded)).toEqual([28.6, 14.3, 14.3, 14.3, 14.3, 14.3]);
    // The reviewer's case: five classes of 25 among 151 white cells all read 16.6 (25/151 = 16.556 %).
    const five = wbcDifferential(
      [...n('neutrophil', 25), ...n('lymphocyte', 25), ...n('monocyte', 26), ...n('eosinophil', 25), ...n('basophil', 25), ...n('ig', 25)],
      ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil', 'basophil', 'ig'],
      { target: 200 },
    );
    expect(five.wbcTotal).toBe(151);
    for (const r of five.rows) if (r.count === 25) expect(r.percentRounded).toBe(16.6);
    // many random differentials: every row is its percentage to the nearest 0.1, so the column is 100.0 ± 0.05 per row
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let t = 0; t < 50; t++) {
      const cells = PBC.flatMap((c) => n(c, Math.floor(rand() * 37)));
      const d = wbcDifferential(cells, PBC, { target: 200 });
      for (const r of d.rows) expect(Math.abs(r.percentRounded - r.percent)).toBeLessThanOrEqual(0.05 + 1e-9);
      if (d.wbcTotal > 0) expect(Math.abs(sumRounded(d) - 1000)).toBeLessThanOrEqual(Math.ceil(d.rows.length / 2));
    }
  });

  it('tracks progress to a target of 100 or 200 white cells (non-white cells do not count)', () => {
    const cells = [...n('neutrophil', 50), ...n('platelet', 80), ...n(UNIDENTIFIED, 20)];
    const d100 = wbcDifferential(cells, PBC, { target: 100 });
    expect(d100.target).toBe(100);
    expect(d100.progress).toBe(0.5);
    expect(d100.targetReached).toBe(false);
    const d200 = wbcDifferential(cells, PBC, { target: 200 });
    expect(d200.progress).toBe(0.25);
    expect(d200.targetReached).toBe(false);

    const done100 = wbcDifferential(n('lymphocyte', 100), PBC, { target: 100 });
    expect([done100.progress, done100.targetReached]).toEqual([1, true]);
    const over100 = wbcDifferential(n('lymphocyte', 150), PBC, { target: 100 });
    expect([over100.progress, over100.targetReached]).toEqual([1, true]);
    const part200 = wbcDifferential(n('lymphocyte', 150), PBC, { target: 200 });
    expect([part200.progress, part200.targetReached]).toEqual([0.75, false]);
    const done200 = wbcDifferential(n('lymphocyte', 200), PBC, { target: 200 });
    expect([done200.progress, done200.targetReached]).toEqual([1, true]);
    expect(wbcDifferential([], PBC, { target: 100 }).progress).toBe(0);
  });

  it('rejects a target that is not a positive number', () => {
    for (const target of [0, -100, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => wbcDifferential([], PBC, { target }), String(target)).toThrow(RangeError);
    }
  });

  it('with no white cells: zero rows, per100Wbc null, no NaN anywhere', () => {
    const d = wbcDifferential([...n('platelet', 4), ...n('erythroblast', 2), ...n(UNIDENTIFIED, 1)], PBC, { target: 100, wbcCount: 7 });
    expect(d.wbcTotal).toBe(0);
    expect(d.rows.map((r) => r.className)).toEqual(['basophil', 'eosinophil', 'ig', 'lymphocyte', 'monocyte', 'neutrophil']);
    expect(d.rows.every((r) => r.count === 0 && r.percent === 0 && r.percentRounded === 0 && r.absolute === 0)).toBe(true);
    expect(d.per100.map((r) => [r.className, r.count, r.per100Wbc])).toEqual([['erythroblast', 2, null], ['platelet', 4, null]]);
    expect(d.progress).toBe(0);
    const flat = JSON.stringify(d, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? 'BAD' : v));
    expect(flat).not.toContain('BAD');
    const empty = wbcDifferential([], [], { target: 100 });
    expect(empty).toMatchObject({ rows: [], per100: [], wbcTotal: 0, progress: 0, targetReached: false, total: 0 });
  });

  it('counts Unidentified, errors and queued cells apart, never in the percentages', () => {
    const cells = [
      ...n('neutrophil', 3), ...n('lymphocyte', 1),
      ...n(UNIDENTIFIED, 5),
      ...n('neutrophil', 2, 'error'), ...n(null, 1, 'error'),
      ...n(null, 4, 'queued'), ...n('lymphocyte', 1, 'queued'),
      ...n(null, 1), // classified but no class (model classes missing): needs a person, like Unidentified
    ];
    const d = wbcDifferential(cells, PBC, { target: 100 });
    expect(d.wbcTotal).toBe(4);
    expect(row(d, 'neutrophil').count).toBe(3);
    expect(row(d, 'neutrophil').percent).toBe(75);
    expect(row(d, 'lymphocyte').count).toBe(1);
    expect(d.unidentified).toBe(6);
    expect(d.errors).toBe(3);
    expect(d.queued).toBe(5);
    expect(d.total).toBe(cells.length);
    expect(d.rows.some((r) => r.className === UNIDENTIFIED)).toBe(false);
    expect(d.per100.some((r) => r.className === UNIDENTIFIED)).toBe(false);
    const counted = d.wbcTotal + d.per100.reduce((a, r) => a + r.count, 0);
    expect(counted + d.unidentified + d.errors + d.queued).toBe(d.total);
  });

  it('does not list Unidentified even if the model class list contains it', () => {
    const d = wbcDifferential(n(UNIDENTIFIED, 2), ['neutrophil', UNIDENTIFIED], { target: 100 });
    expect(d.rows.map((r) => r.className)).toEqual(['neutrophil']);
    expect(d.per100).toEqual([]);
    expect(d.unidentified).toBe(2);
  });

  it('counts lab classes as white cells or not, as the lab defined them', () => {
    const userClasses = [{ name: 'Sézary cell', countsAsWbc: true }, { name: 'Crystal', countsAsWbc: false }];
    const cells = [...n('neutrophil', 8), ...n('Sézary cell', 2), ...n('Crystal', 3)];
    const d = wbcDifferential(cells, PBC, { target: 100, userClasses });
    expect(d.wbcTotal).toBe(10);
    expect(d.rows.map((r) => r.className)).toEqual(['basophil', 'eosinophil', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'Sézary cell']);
    expect(row(d, 'Sézary cell').percent).toBe(20);
    expect(p100(d, 'Crystal')).toEqual({ className: 'Crystal', category: 'other', count: 3, per100Wbc: 30 });
    // unknown names without a lab definition are not white cells
    const plain = wbcDifferential(cells, PBC, { target: 100 });
    expect(plain.wbcTotal).toBe(8);
    expect(p100(plain, 'Sézary cell').category).toBe('other');
  });

  it('adds other white-cell names after the model classes, first-seen', () => {
    const d = wbcDifferential([...n('SNE', 2), ...n('blast', 1), ...n('BNE', 1), ...n('SNE', 1), ...n('neutrophil', 1)], ['neutrophil', 'lymphocyte'], { target: 100 });
    expect(d.rows.map((r) => [r.className, r.count])).toEqual([['neutrophil', 1], ['lymphocyte', 0], ['SNE', 3], ['blast', 1], ['BNE', 1]]);
    expect(d.rows.map((r) => r.percent)).toEqual([100 / 6, 0, 50, 100 / 6, 100 / 6]);
  });
});
