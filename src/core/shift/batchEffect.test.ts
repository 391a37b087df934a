import { describe, expect, it } from 'vitest';
import { folderOffsets } from './batchEffect.ts';
import { mulberry32 } from './random.ts';
import { buildShiftStats } from './stats.ts';

describe('folderOffsets (batch-effect figure)', () => {
  const d = 8;
  const C = 3;
  const rand = mulberry32(21);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: C * d }, () => 6 * gauss());
  const draw = (n: number, shift: number, onlyClass?: number) => {
    const X = new Float32Array(n * d);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = onlyClass ?? i % C;
      for (let j = 0; j < d; j++) X[i * d + j] = centres[y[i]! * d + j]! + gauss() + (j === 0 ? shift : 0);
    }
    return { X, y };
  };
  const train = draw(3000, 0);
  const stats = buildShiftStats(train.X, 3000, d, train.y, ['a', 'b', 'c'], { bundleId: 't', encoderSha256: ['e'.repeat(64)], sampleSize: 400 });

  it('in-distribution folders sit near the expected offset whatever their class mix; a shifted one far beyond', () => {
    const mixed = draw(100, 0);
    const oneClass = draw(100, 0, 1); // only class b: no composition effect
    const shifted = draw(100, 2.5); // every cell moved 2.5 SD along one axis
    const X = new Float32Array(300 * d);
    X.set(mixed.X, 0);
    X.set(oneClass.X, 100 * d);
    X.set(shifted.X, 200 * d);
    const folders = [...Array(100).fill('slide-1'), ...Array(100).fill('slide-2'), ...Array(100).fill('other-lab')];
    const rows = folderOffsets(stats, X, 300, folders);
    expect(rows.map((r) => r.folder)).toEqual(['slide-1', 'slide-2', 'other-lab']);
    expect(rows.map((r) => r.n)).toEqual([100, 100, 100]);
    for (const r of rows.slice(0, 2)) {
      expect(r.offset).toBeLessThan(2 * r.expected);
      expect(r.expected).toBeGreaterThan(0.2); // ≈ √(8/100)
      expect(r.expected).toBeLessThan(0.5);
    }
    expect(rows[2]!.offset).toBeGreaterThan(5 * rows[2]!.expected);
    expect(rows[2]!.offset).toBeGreaterThan(1.5);
  });

  it('skips non-finite embeddings', () => {
    const { X } = draw(30, 0);
    X[3] = NaN;
    const [r] = folderOffsets(stats, X, 30, Array(30).fill(''));
    expect(r!.n).toBe(29);
    expect(Number.isFinite(r!.offset)).toBe(true);
  });
});
