import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createShiftScorer, embeddingIsFinite } from './score.ts';
import { buildShiftStats, fitShiftModel, quantileSorted, scoreWithModel, heldInFolds, ShiftStatsError, MIN_CELLS_FOR_STATS } from './stats.ts';
import { choleskyPacked, invertLowerPacked, packedSize } from './linalg.ts';
import { mulberry32 } from './random.ts';

interface Case {
  d: number; classes: number; X: number[]; y: number[]; means: number[]; shrinkage: number; cov: number[]; bgShrinkage: number;
  T: number[]; mahalanobis: number[]; relativeMahalanobis: number[];
}
const ref = JSON.parse(readFileSync(new URL('../__fixtures__/shift/reference.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Case>; quantiles: { values: number[]; q: Record<string, number> };
};

const rows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const relClose = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

describe('shift statistics vs NumPy / scikit-learn (tools/fixtures/make_shift_fixture.py)', () => {
  for (const [name, c] of Object.entries(ref.cases)) {
    const n = c.y.length;
    const X = Float32Array.from(c.X);
    const T = Float32Array.from(c.T);
    const nt = T.length / c.d;

    it(`${name}: class means, Ledoit–Wolf shrinkage and shared covariance`, () => {
      const m = fitShiftModel(X, c.d, c.y, c.classes, rows(n), true);
      m.means.forEach((v, i) => expect(v).toBeCloseTo(c.means[i]!, 5));
      expect(m.shrinkage).toBeCloseTo(c.shrinkage, 9);
      expect(m.background!.shrinkage).toBeCloseTo(c.bgShrinkage, 9);
      // Σ = (W⁻¹)(W⁻¹)ᵀ: check W Σ_ref Wᵀ = I instead of inverting W
      const d = c.d;
      const W = m.W;
      const at = (i: number, k: number) => (k <= i ? W[(i * (i + 1)) / 2 + k]! : 0);
      let worst = 0;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let a = 0; a <= i; a++) for (let b = 0; b <= j; b++) s += at(i, a) * c.cov[a * d + b]! * at(j, b);
          worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThan(1e-8);
    });

    it(`${name}: min-class Mahalanobis and relative Mahalanobis of test points`, () => {
      const m = fitShiftModel(X, c.d, c.y, c.classes, rows(n), true);
      const md = scoreWithModel(m, 'mahalanobis', T, rows(nt));
      const rmd = scoreWithModel(m, 'relative-mahalanobis', T, rows(nt));
      for (let i = 0; i < nt; i++) {
        expect(relClose(md[i]!, c.mahalanobis[i]!, 1e-6), `md[${i}] ${md[i]} vs ${c.mahalanobis[i]}`).toBe(true);
        expect(Math.abs(rmd[i]! - c.relativeMahalanobis[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.relativeMahalanobis[i]!)));
      }
      // the far-away points (last 10) score higher than every in-distribution one
      const inside = Math.max(...md.slice(0, 20));
      expect(Math.min(...md.slice(20))).toBeGreaterThan(inside);
    });
  }

  it('quantiles are numpy.quantile (linear)', () => {
    const sorted = Float64Array.from(ref.quantiles.values).sort();
    for (const [q, v] of Object.entries(ref.quantiles.q)) expect(quantileSorted(sorted, Number(q))).toBeCloseTo(v, 10);
  });
});

describe('linalg', () => {
  it('Cholesky and its inverse', () => {
    const d = 5;
    const rand = mulberry32(1);
    const B = Array.from({ length: d * d }, () => rand() - 0.5);
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < d; k++) s += B[i * d + k]! * B[j * d + k]!;
      A[i * d + j] = s;
    }
    const L = choleskyPacked(A, d);
    const W = invertLowerPacked(L, d);
    expect(W.length).toBe(packedSize(d));
    // W L = I
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = j; k <= i; k++) s += W[(i * (i + 1)) / 2 + k]! * L[(k * (k + 1)) / 2 + j]!;
      expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
    }
    expect(() => choleskyPacked(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

/** Gaussian blobs: n cells in C classes, d dimensions. */
function blobs(n: number, d: number, C: number, seed: number) {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: C * d }, () => 4 * gauss());
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % C;
    for (let j = 0; j < d; j++) X[i * d + j] = centres[y[i]! * d + j]! + gauss() * (1 + j / d);
  }
  return { X, y, centres, gauss };
}

describe('buildShiftStats', () => {
  const classes = ['a', 'b', 'c'];
  const opts = { bundleId: 'test', encoderSha256: ['A'.repeat(64)], now: new Date('2025-01-01T00:00:00Z') };

  it('the k-fold shortcut equals refitting each fold from scratch, and the threshold is the held-in quantile', () => {
    const { X, y } = blobs(300, 6, 3, 5);
    const s = buildShiftStats(X, 300, 6, y, classes, { ...opts, folds: 4, seed: 9 });
    const fold = heldInFolds(y, 3, 4, 9);
    const heldIn = new Float64Array(300);
    for (let f = 0; f < 4; f++) {
      const train = rows(300).filter((i) => fold[i] !== f);
      const test = rows(300).filter((i) => fold[i] === f);
      const m = fitShiftModel(X, 6, y, 3, train);
      scoreWithModel(m, 'mahalanobis', X, test).forEach((v, r) => (heldIn[test[r]!] = v));
    }
    const sorted = heldIn.slice().sort();
    expect(s.threshold).toBeCloseTo(quantileSorted(sorted, 0.99), 8);
    s.heldIn.quantiles.p.forEach((p, i) => expect(s.heldIn.quantiles.value[i]).toBeCloseTo(quantileSorted(sorted, p), 8));
    expect(s.expectedFlagRate).toBeCloseTo(sorted.filter((v) => v > s.threshold).length / 300, 12);
    expect(s.encoderSha256).toEqual(['a'.repeat(64)]);
    // final statistics: fitted on all cells
    const all = fitShiftModel(X, 6, y, 3, rows(300));
    s.means.forEach((v, i) => expect(v).toBeCloseTo(all.means[i]!, 4));
    s.whitening.forEach((v, i) => expect(v).toBeCloseTo(all.W[i]!, 4));
  });

  it('flags about 1 % of new cells of the same kind (threshold calibration)', () => {
    const { X, y } = blobs(4000, 10, 3, 7);
    const s = buildShiftStats(X.subarray(0, 2000 * 10), 2000, 10, y.subarray(0, 2000), classes, opts);
    expect(s.expectedFlagRate).toBeGreaterThan(0.005);
    expect(s.expectedFlagRate).toBeLessThan(0.015);
    const scores = createShiftScorer(s).assess(X.subarray(2000 * 10), 2000);
    const rate = scores.filter((a) => a.ok && a.flagged).length / 2000;
    expect(rate).toBeGreaterThan(0.002);
    expect(rate).toBeLessThan(0.025);
  });

  it('keeps a stratified reference sample and drops classes without cells', () => {
    const { X, y } = blobs(600, 4, 3, 3);
    const s = buildShiftStats(X, 600, 4, y, ['a', 'empty', 'b', 'c'].filter((_, i) => i !== 1), { ...opts, sampleSize: 60 });
    expect(s.sample.labels.length).toBe(60);
    for (let k = 0; k < 3; k++) expect(s.sample.labels.filter((l) => l === k).length).toBe(20);
    const y2 = Int32Array.from(y, (l) => (l === 0 ? 0 : l + 1)); // class index 1 has no cells
    const s2 = buildShiftStats(X, 600, 4, y2, ['a', 'empty', 'b', 'c'], opts);
    expect(s2.classes).toEqual(['a', 'b', 'c']);
    expect(s2.classCounts).toEqual([200, 200, 200]);
    expect(Math.max(...s2.sample.labels)).toBe(2);
  });

  it('works with fewer cells than dimensions (a small lab set: shrinkage)', () => {
    const { X, y } = blobs(30, 64, 3, 11);
    const s = buildShiftStats(X, 30, 64, y, classes, opts);
    expect(s.shrinkage).toBeGreaterThan(0.05);
    expect(Number.isFinite(s.threshold)).toBe(true);
  });

  it('refuses unusable input with the reason', () => {
    const { X, y } = blobs(50, 4, 3, 1);
    expect(() => buildShiftStats(X, 10, 4, y, classes, opts)).toThrow(new RegExp(`at least ${MIN_CELLS_FOR_STATS}`));
    const bad = X.slice();
    bad[4 * 7 + 2] = NaN;
    expect(() => buildShiftStats(bad, 50, 4, y, classes, opts)).toThrow(/cell 7 has a non-finite/);
    expect(() => buildShiftStats(X, 50, 4, Int32Array.from(y, (l) => l + 5), classes, opts)).toThrow(/label/);
    expect(() => buildShiftStats(new Float32Array(50 * 4).fill(1), 50, 4, y, classes, opts)).toThrow(ShiftStatsError);
  });
});

describe('scorer', () => {
  const { X, y } = blobs(200, 5, 2, 2);
  const s = buildShiftStats(X, 200, 5, y, ['a', 'b'], { bundleId: 't', encoderSha256: ['b'.repeat(64)] });
  const scorer = createShiftScorer(s);

  it('NaN / infinite embeddings are errors, never in distribution', () => {
    const batch = X.slice(0, 3 * 5);
    batch[5 + 1] = NaN;
    batch[10 + 4] = Infinity;
    const a = scorer.assess(batch, 3);
    expect(a[0]).toMatchObject({ ok: true });
    expect(a[1]).toMatchObject({ ok: false, reason: 'embedding-invalid' });
    expect(a[2]).toMatchObject({ ok: false, reason: 'embedding-invalid' });
    expect(Number.isNaN(scorer.score(batch, 3)[1])).toBe(true);
    expect(embeddingIsFinite(batch, 0, 5)).toBe(true);
    expect(embeddingIsFinite(batch, 1, 5)).toBe(false);
  });

  it('a far-away cell is flagged, a training cell is not', () => {
    const far = Float32Array.from({ length: 5 }, () => 1e3);
    expect(scorer.assess(far, 1)[0]).toMatchObject({ ok: true, flagged: true });
    const scores = scorer.score(X, 200);
    expect(scores.filter((v) => v > s.threshold).length).toBeLessThan(10);
  });
});
