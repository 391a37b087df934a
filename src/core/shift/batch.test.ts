import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { folderOf, formatPercent, shiftBannerText, shiftChecksOffText, summarizeCaseShift, testBatch } from './batch.ts';
import { binomialUpperTail, logFactorial } from './binomial.ts';
import { mulberry32 } from './random.ts';

const ref = JSON.parse(readFileSync(new URL('../__fixtures__/shift/reference.json', import.meta.url), 'utf8')) as { binomialUpperTail: [number, number, number, number][] };

/** Share of simulated batches (n cells, each flagged with probability `rate`) that the test calls shifted. */
function alarmRate(n: number, rate: number, expected: number, trials: number, seed: number): number {
  const rand = mulberry32(seed);
  const shifted = Array.from({ length: n + 1 }, (_, k) => testBatch(k, n, expected).verdict === 'shifted'); // the verdict depends on k only
  let fired = 0;
  for (let t = 0; t < trials; t++) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < rate) k++;
    if (shifted[k]) fired++;
  }
  return fired / trials;
}

describe('binomial tail', () => {
  it('matches SciPy binom.sf', () => {
    for (const [k, n, p, want] of ref.binomialUpperTail) {
      const got = binomialUpperTail(k, n, p);
      if (want < 1e-300) expect(got).toBeLessThan(1e-290);
      else expect(Math.abs(got - want) / Math.max(want, 1e-300)).toBeLessThan(1e-9);
    }
  });
  it('log factorial is continuous at the table edge', () => {
    expect(logFactorial(256) - logFactorial(255)).toBeCloseTo(Math.log(256), 10);
    expect(logFactorial(10)).toBeCloseTo(Math.log(3628800), 12);
  });
});

describe('batch test', () => {
  const expected = 0.01;

  it('false-alarm rate on simulated in-distribution batches of 100 cells is ≤ 1 %', () => {
    // flag rate exactly as expected, and as measured on unseen PBC val cells (1.3 % against 1.0 % held-in)
    expect(alarmRate(100, expected, expected, 20_000, 1)).toBeLessThanOrEqual(0.01);
    expect(alarmRate(100, 0.013, expected, 20_000, 2)).toBeLessThanOrEqual(0.01);
    // and for other case sizes
    for (const n of [20, 50, 200, 500, 2000]) expect(alarmRate(n, 0.013, expected, 2000, n)).toBeLessThanOrEqual(0.01);
  });

  it('detects batches with another lab’s flag rates', () => {
    // LISC flags 76 % per cell, a blurred-stain set 8.5 %, a CellaVision set (issue 13) 28 %
    expect(alarmRate(20, 0.76, expected, 2000, 3)).toBeGreaterThan(0.99);
    expect(alarmRate(100, 0.28, expected, 2000, 4)).toBeGreaterThan(0.99);
    expect(alarmRate(20, 0.28, expected, 2000, 5)).toBeGreaterThan(0.8);
    expect(alarmRate(200, 0.085, expected, 2000, 6)).toBeGreaterThan(0.9);
  });

  it('gives no verdict on a case of 3 cells, and says why', () => {
    const v = testBatch(3, 3, expected);
    expect(v.verdict).toBe('too-few');
    expect(v.pValue).toBeNull();
    expect(v.reason).toMatch(/No batch verdict: only 3 cells have a shift score; the share of flagged cells means little below 20 cells/);
    expect(testBatch(0, 0, expected).reason).toMatch(/no cells have a shift score yet/);
    expect(testBatch(1, 1, expected).reason).toMatch(/only 1 cell has/);
  });

  it('a small excess on many cells is not a shift (minimum share)', () => {
    const v = testBatch(40, 2000, expected); // 2 %: significant, but under 5 %
    expect(v.pValue!).toBeLessThan(0.001);
    expect(v.verdict).toBe('in-distribution');
    expect(v.reason).toMatch(/more than expected, but under 5 %/);
    const s = testBatch(60, 100, expected);
    expect(s.verdict).toBe('shifted');
    expect(s.reason).toMatch(/^60 of 100 cells flagged \(60 %, expected about 1 %\): far more/);
  });
});

describe('case and folder summary', () => {
  const cells = (folder: string, n: number, flagged: number) => Array.from({ length: n }, (_, i) => ({ folder, flagged: i < flagged }));

  it('quiet on the model’s own kind of cells', () => {
    const s = summarizeCaseShift([...cells('slide-1', 100, 1), ...cells('slide-2', 80, 2)], 0.01);
    expect(s.case.verdict).toBe('in-distribution');
    expect(s.folders.map((f) => f.verdict)).toEqual(['in-distribution', 'in-distribution']);
    expect(s.banner).toBeNull();
  });

  it('the banner names the share and the expected share (contract text)', () => {
    const s = summarizeCaseShift(cells('', 50, 40), 0.01);
    expect(s.case.verdict).toBe('shifted');
    expect(s.banner).toBe(
      "These cells look unlike the model's training data (80 % flagged, expected about 1 %). Its classes may be wrong here: train a head on your lab's cells (Models → Lab heads).",
    );
  });

  it('one shifted folder in an otherwise quiet case is named', () => {
    const s = summarizeCaseShift([...cells('lab-a', 400, 4), ...cells('lab-b', 30, 20)], 0.01);
    expect(s.case.verdict).toBe('shifted'); // 24/430 = 5.6 %
    const t = summarizeCaseShift([...cells('lab-a', 1000, 10), ...cells('lab-b', 30, 20)], 0.01);
    expect(t.case.verdict).toBe('in-distribution'); // 30/1030 = 2.9 %: under 5 %
    expect(t.folders.find((f) => f.folder === 'lab-b')!.verdict).toBe('shifted');
    expect(t.folders.find((f) => f.folder === 'lab-b')!.alpha).toBeCloseTo(0.0005, 12); // Bonferroni over 2 folders
    expect(t.banner).toMatch(/^The cells of folder “lab-b” look unlike the model's training data \(67 % flagged, expected about 1 %\)/);
  });

  it('cells without a score are left out', () => {
    const s = summarizeCaseShift([...cells('', 5, 5), ...Array.from({ length: 50 }, () => ({ folder: '', flagged: null }))], 0.01);
    expect(s.case.verdict).toBe('too-few');
    expect(s.case.n).toBe(5);
  });

  it('helpers', () => {
    expect(folderOf('slide 2/sub/BA_1.jpg')).toBe('slide 2/sub');
    expect(folderOf('BA_1.jpg')).toBe('');
    expect(folderOf('C:\\x\\a.png')).toBe('C:\\x');
    expect([0, 0.004, 0.013, 0.0999, 0.1, 0.876, 1].map(formatPercent)).toEqual(['0 %', '0.4 %', '1.3 %', '10 %', '10 %', '88 %', '100 %']);
    expect(shiftBannerText(0.3, 0.01)).toContain("unlike the model's training data");
    expect(shiftChecksOffText('Lab model')).toMatch(/Shift checks are off for “Lab model”/);
  });
});
