import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/shift/random.ts';
import { colourPoints, FLAG_COLOURS, makeScale, niceTicks, PALETTE, PointGrid, pointInPolygon, pointsInLasso, type MapCell } from './mapModel.ts';

describe('map geometry', () => {
  it('nice ticks', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(-3.2, 7.9)).toEqual([-2, 0, 2, 4, 6]);
    expect(niceTicks(0.013, 0.051, 4)).toEqual([0.02, 0.03, 0.04, 0.05]);
    expect(niceTicks(1, 1)).toEqual([1]);
  });

  it('scale maps data into the plot box and back, y upwards', () => {
    const box = { left: 40, top: 10, width: 500, height: 300 };
    const s = makeScale([{ x: -2, y: 5 }, { x: 8, y: 15 }, { x: NaN, y: 0 }], box);
    for (const [x, y] of [[-2, 5], [8, 15], [3, 10]] as const) {
      expect(s.x(x)).toBeGreaterThanOrEqual(box.left);
      expect(s.x(x)).toBeLessThanOrEqual(box.left + box.width);
      expect(s.invX(s.x(x))).toBeCloseTo(x, 9);
      expect(s.invY(s.y(y))).toBeCloseTo(y, 9);
    }
    expect(s.y(15)).toBeLessThan(s.y(5));
    expect(makeScale([], box).x(0.5)).toBeCloseTo(box.left + box.width / 2, 6); // no points: a unit square
  });

  it('grid nearest equals brute force', () => {
    const rand = mulberry32(3);
    const n = 5000;
    const xs = Float32Array.from({ length: n }, () => rand() * 600);
    const ys = Float32Array.from({ length: n }, () => rand() * 400);
    const grid = new PointGrid(xs, ys);
    for (let t = 0; t < 300; t++) {
      const px = rand() * 600;
      const py = rand() * 400;
      let best = -1;
      let bestD = 64;
      for (let i = 0; i < n; i++) {
        const d = (xs[i]! - px) ** 2 + (ys[i]! - py) ** 2;
        if (d <= bestD) [best, bestD] = [i, d];
      }
      const got = grid.nearest(px, py, 8);
      if (best < 0) expect(got).toBe(-1);
      else expect((xs[got]! - px) ** 2 + (ys[got]! - py) ** 2).toBeCloseTo(bestD, 3);
    }
  });

  it('lasso selects the points inside the polygon', () => {
    const square = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
    expect(pointInPolygon(5, 5, square)).toBe(true);
    expect(pointInPolygon(15, 5, square)).toBe(false);
    const triangle = [{ x: 0, y: 0 }, { x: 20, y: 0 }, { x: 0, y: 20 }];
    const xs = Float32Array.of(1, 9, 11, 15, 5, -1);
    const ys = Float32Array.of(1, 9, 11, 1, 14, 5);
    expect(pointsInLasso(xs, ys, triangle)).toEqual([0, 1, 3, 4]);
    expect(pointsInLasso(xs, ys, triangle.slice(0, 2))).toEqual([]);
  });
});

describe('colourPoints', () => {
  const cells: MapCell[] = [
    { id: 'a', x: 0, y: 0, className: 'neutrophil', flagged: true, folder: 'slide-1' },
    { id: 'b', x: 0, y: 0, className: 'lymphocyte', flagged: false, folder: 'slide-1' },
    { id: 'c', x: 0, y: 0, className: 'blast', flagged: null, folder: '' },
  ];
  const ref = [{ x: 0, y: 0, className: 'lymphocyte' }];
  const classes = ['basophil', 'lymphocyte', 'neutrophil'];

  it('classes keep the colour of their index in the model’s class list', () => {
    const c = colourPoints(cells, ref, 'class', classes);
    expect(c.cell).toEqual([PALETTE[2], PALETTE[1], PALETTE[3]]);
    expect(c.reference).toEqual([PALETTE[1]]);
    expect(c.legend.map((l) => [l.label, l.count])).toEqual([['lymphocyte', 1], ['neutrophil', 1], ['blast', 1]]);
  });

  it('by flag and by folder', () => {
    const f = colourPoints(cells, ref, 'flag');
    expect(f.cell).toEqual([FLAG_COLOURS.flagged, FLAG_COLOURS.ok, FLAG_COLOURS.none]);
    expect(f.legend.map((l) => l.label)).toEqual(['Unlike the training data', 'Like the training data', 'No shift score']);
    const b = colourPoints(cells, ref, 'folder');
    expect(b.legend.map((l) => [l.label, l.count])).toEqual([['slide-1', 2], ['(no folder)', 1]]);
  });
});
