import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitPca, projectPca, symmetricEigen } from './pca.ts';
import { mapAxisLabels, pcaMap } from './layout.ts';
import { mulberry32 } from '../shift/random.ts';

const ref = JSON.parse(readFileSync(new URL('../__fixtures__/shift/reference.json', import.meta.url), 'utf8')) as {
  pca: { n: number; d: number; X: number[]; explainedVarianceRatio: number[]; components: number[]; projection: number[] };
};

describe('PCA vs scikit-learn (tools/fixtures/make_shift_fixture.py)', () => {
  const { n, d } = ref.pca;
  const X = Float32Array.from(ref.pca.X);

  it('explained variance, components (up to sign) and projections', () => {
    const p = fitPca(X, n, d, 2);
    p.explainedRatio.forEach((r, i) => expect(r).toBeCloseTo(ref.pca.explainedVarianceRatio[i]!, 6));
    const proj = projectPca(p, X, n);
    for (let c = 0; c < 2; c++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += p.components[c * d + j]! * ref.pca.components[c * d + j]!;
      expect(Math.abs(dot)).toBeCloseTo(1, 6);
      const sign = Math.sign(dot);
      for (let i = 0; i < n; i++) expect(proj[i * 2 + c]).toBeCloseTo(sign * ref.pca.projection[i * 2 + c]!, 3);
    }
  });

  it('the implicit path (d > 512) gives the same as the explicit one', () => {
    const rand = mulberry32(3);
    const n2 = 120;
    const d2 = 600;
    const Y = new Float32Array(n2 * d2);
    for (let i = 0; i < n2; i++) {
      const a = rand() * 6 - 3;
      const b = rand() * 2 - 1;
      for (let j = 0; j < d2; j++) Y[i * d2 + j] = a * Math.sin(j) + b * Math.cos(3 * j) + 0.05 * (rand() - 0.5);
    }
    const p = fitPca(Y, n2, d2, 2);
    expect(p.explainedRatio[0]! + p.explainedRatio[1]!).toBeGreaterThan(0.99);
    expect(p.explainedRatio[0]!).toBeGreaterThan(p.explainedRatio[1]!);
    // each component is an eigenvector of the covariance: C v = λ v (C applied as Xcᵀ Xc v / (n − 1))
    for (let c = 0; c < 2; c++) {
      const v = p.components.subarray(c * d2, (c + 1) * d2);
      const t = new Float64Array(n2);
      for (let i = 0; i < n2; i++) for (let j = 0; j < d2; j++) t[i]! += (Y[i * d2 + j]! - p.mean[j]!) * v[j]!;
      let err = 0;
      for (let j = 0; j < d2; j++) {
        let cv = 0;
        for (let i = 0; i < n2; i++) cv += (Y[i * d2 + j]! - p.mean[j]!) * t[i]!;
        err = Math.max(err, Math.abs(cv / (n2 - 1) - p.variances[c]! * v[j]!));
      }
      expect(err).toBeLessThan(1e-6 * p.variances[0]!);
    }
  });

  it('symmetric eigen of a small matrix', () => {
    const e = symmetricEigen(Float64Array.of(2, 1, 0, 1, 2, 0, 0, 0, 5), 3);
    expect(Array.from(e.values).map((v) => +v.toFixed(10))).toEqual([5, 3, 1]);
  });
});

describe('pcaMap', () => {
  it('lays case and reference cells out in one PCA basis, with labelled axes', () => {
    const rand = mulberry32(8);
    const d = 16;
    const nc = 50;
    const nr = 30;
    const caseEmb = Float32Array.from({ length: nc * d }, (_, i) => rand() + (i % d === 0 ? 10 : 0));
    const refEmb = Float32Array.from({ length: nr * d }, () => rand());
    const m = pcaMap(caseEmb, nc, refEmb, nr, d);
    expect(m.casePoints).toHaveLength(nc * 2);
    expect(m.referencePoints).toHaveLength(nr * 2);
    expect(m.axes[0]).toMatch(/^PC 1 \(\d+ % of variance\)$/);
    expect(m.explained![0]).toBeGreaterThan(0.5); // the offset of the case cells along dimension 0
    // case and reference separate along PC 1
    const meanX = (pts: Float32Array) => pts.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0) / (pts.length / 2);
    expect(Math.abs(meanX(m.casePoints) - meanX(m.referencePoints))).toBeGreaterThan(5);
    expect(mapAxisLabels('umap')).toEqual(['UMAP 1', 'UMAP 2']);
  });
});
