// The UMAP worker's engine (workers/umap.ts) runs in Node as well: tested here, without a Worker.
import { describe, expect, it } from 'vitest';
import { UmapEngine, type UmapProgress } from '../../../workers/umap.ts';
import { mulberry32 } from '../shift/random.ts';

function twoBlobs(nEach: number, d: number) {
  const rand = mulberry32(5);
  const X = new Float32Array(2 * nEach * d);
  for (let i = 0; i < 2 * nEach; i++) for (let j = 0; j < d; j++) X[i * d + j] = (i < nEach ? 0 : 8) + rand();
  return X;
}

describe('UMAP engine', () => {
  it('keeps two separate clouds apart, reports progress, is seeded', async () => {
    const d = 60;
    const X = twoBlobs(80, d);
    const progress: UmapProgress[] = [];
    const e = new UmapEngine();
    const a = await e.layout('j1', X, 160, d, { nEpochs: 120, seed: 3 }, (p) => progress.push(p));
    expect(a).toHaveLength(320);
    expect(a.every(Number.isFinite)).toBe(true);
    const centroid = (from: number) => [0, 1].map((c) => a.filter((_, i) => i % 2 === c && Math.floor(i / 2) >= from && Math.floor(i / 2) < from + 80).reduce((s, v) => s + v, 0) / 80);
    const [c0, c1] = [centroid(0), centroid(80)];
    const spread = Math.sqrt(a.filter((_, i) => i < 160).reduce((s, v, i) => s + (v - c0[i % 2]!) ** 2, 0) / 80);
    expect(Math.hypot(c0[0]! - c1[0]!, c0[1]! - c1[1]!)).toBeGreaterThan(3 * spread);
    expect(new Set(progress.map((p) => p.stage))).toEqual(new Set(['pca', 'neighbours', 'layout']));
    expect(progress.at(-1)).toEqual({ stage: 'layout', done: 120, total: 120 });
    const b = await e.layout('j2', X, 160, d, { nEpochs: 120, seed: 3 });
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('stops when cancelled', async () => {
    const X = twoBlobs(150, 20);
    const e = new UmapEngine();
    const job = e.layout('j3', X, 300, 20, { nEpochs: 5000 }, (p) => {
      if (p.stage === 'layout') e.cancel('j3');
    });
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('tiny inputs give a flat layout instead of an error', async () => {
    expect(Array.from(await new UmapEngine().layout('j4', new Float32Array(6), 3, 2))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
