/**
 * Pure geometry and colouring behind EmbeddingMap.tsx (no DOM): data → screen scales with nice
 * ticks, a uniform grid for hover hit-tests (5,000 points: a handful checked per mouse move), lasso
 * point-in-polygon, and the colour of every point for each "colour by" mode.
 */

export type ColourBy = 'class' | 'flag' | 'folder';

export interface MapCell {
  id: string;
  x: number;
  y: number;
  /** the class shown for the cell (reviewer's, else predicted, else "Unidentified") */
  className: string;
  /** null: no shift score (checks off, or not classified) */
  flagged: boolean | null;
  /** source folder ("" for files dropped on their own) */
  folder: string;
}

export interface MapReferenceCell {
  x: number;
  y: number;
  className: string;
}

export interface Scale {
  /** data → CSS pixels */
  x(v: number): number;
  y(v: number): number;
  /** CSS pixels → data */
  invX(px: number): number;
  invY(px: number): number;
  xTicks: number[];
  yTicks: number[];
}

export interface PlotBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The 1, 2 or 5 × 10^k step giving closest to `count` intervals over [lo, hi], and its ticks. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const span = hi - lo;
  const step = [1, 2, 5, 10].map((m) => m * mag).reduce((best, s) => (Math.abs(span / s - count) < Math.abs(span / best - count) ? s : best));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** Equal data units on both axes would squash one cloud; each axis gets its own range, with a 4 % margin. */
export function makeScale(points: readonly { x: number; y: number }[], box: PlotBox): Scale {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    if (p.x < x0) x0 = p.x;
    if (p.x > x1) x1 = p.x;
    if (p.y < y0) y0 = p.y;
    if (p.y > y1) y1 = p.y;
  }
  if (!Number.isFinite(x0)) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 - x0 < 1e-9) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const mx = (x1 - x0) * 0.04;
  const my = (y1 - y0) * 0.04;
  [x0, x1, y0, y1] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
  const sx = box.width / (x1 - x0);
  const sy = box.height / (y1 - y0);
  return {
    x: (v) => box.left + (v - x0) * sx,
    y: (v) => box.top + box.height - (v - y0) * sy,
    invX: (px) => x0 + (px - box.left) / sx,
    invY: (py) => y0 + (box.top + box.height - py) / sy,
    xTicks: niceTicks(x0, x1),
    yTicks: niceTicks(y0, y1),
  };
}

/** Uniform grid over screen positions: nearest point within a radius in O(points per cell). */
export class PointGrid {
  private readonly cells = new Map<number, number[]>();
  constructor(
    private readonly xs: Float32Array,
    private readonly ys: Float32Array,
    private readonly size = 16,
  ) {
    for (let i = 0; i < xs.length; i++) {
      const key = this.key(Math.floor(xs[i]! / size), Math.floor(ys[i]! / size));
      const list = this.cells.get(key);
      if (list) list.push(i);
      else this.cells.set(key, [i]);
    }
  }

  private key(cx: number, cy: number): number {
    return (cx + 4096) * 8192 + (cy + 4096);
  }

  /** Index of the nearest point within `radius` px of (px, py), or -1. */
  nearest(px: number, py: number, radius: number): number {
    const r = Math.ceil(radius / this.size);
    const cx = Math.floor(px / this.size);
    const cy = Math.floor(py / this.size);
    let best = -1;
    let bestD = radius * radius;
    for (let gx = cx - r; gx <= cx + r; gx++) {
      for (let gy = cy - r; gy <= cy + r; gy++) {
        const list = this.cells.get(this.key(gx, gy));
        if (!list) continue;
        for (const i of list) {
          const d = (this.xs[i]! - px) ** 2 + (this.ys[i]! - py) ** 2;
          if (d <= bestD) [best, bestD] = [i, d];
        }
      }
    }
    return best;
  }
}

/** Even–odd rule; the polygon is closed implicitly. */
export function pointInPolygon(x: number, y: number, poly: readonly { x: number; y: number }[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** Indices of the points inside a lasso (bounding box first, so a small lasso over 5,000 points is cheap). */
export function pointsInLasso(xs: Float32Array, ys: Float32Array, poly: readonly { x: number; y: number }[]): number[] {
  if (poly.length < 3) return [];
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of poly) {
    x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
  }
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    if (pointInPolygon(x, y, poly)) out.push(i);
  }
  return out;
}

/** Okabe–Ito (colour-blind safe) then Tableau-like extras: class and folder colours, in order of first use. */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000', '#8c564b', '#7f7f7f', '#bcbd22', '#17becf'];
export const FLAG_COLOURS = { flagged: '#d62728', ok: '#4c78a8', none: '#a0a0a0' } as const;
export const FLAG_LABELS = { flagged: 'Unlike the training data', ok: 'Like the training data', none: 'No shift score' } as const;

export interface LegendEntry {
  key: string;
  label: string;
  colour: string;
  count: number;
}

export interface Colouring {
  /** colour of each case cell */
  cell: string[];
  /** colour of each reference cell */
  reference: string[];
  legend: LegendEntry[];
}

const folderLabel = (f: string) => (f === '' ? '(no folder)' : f);

/**
 * Colours for every point. Classes keep the colour of their index in `classOrder` (the model's
 * classes, so colours do not change between cases); other classes and folders get the next
 * palette colours in order of first appearance.
 */
export function colourPoints(cells: readonly MapCell[], reference: readonly MapReferenceCell[], by: ColourBy, classOrder: readonly string[] = []): Colouring {
  if (by === 'flag') {
    const keyOf = (c: MapCell) => (c.flagged === null ? 'none' : c.flagged ? 'flagged' : 'ok');
    const counts = { flagged: 0, ok: 0, none: 0 };
    const cell = cells.map((c) => {
      const k = keyOf(c);
      counts[k]++;
      return FLAG_COLOURS[k];
    });
    const legend = (['flagged', 'ok', 'none'] as const).filter((k) => counts[k] > 0).map((k) => ({ key: k, label: FLAG_LABELS[k], colour: FLAG_COLOURS[k], count: counts[k] }));
    return { cell, reference: reference.map(() => FLAG_COLOURS.ok), legend };
  }
  const order = by === 'class' ? [...classOrder] : [];
  const colourOf = new Map<string, string>();
  const counts = new Map<string, number>();
  const assign = (k: string) => {
    if (!colourOf.has(k)) {
      let i = order.indexOf(k);
      if (i < 0) {
        order.push(k);
        i = order.length - 1;
      }
      colourOf.set(k, PALETTE[i % PALETTE.length]!);
    }
    return colourOf.get(k)!;
  };
  order.forEach(assign);
  const cell = cells.map((c) => {
    const k = by === 'class' ? c.className : c.folder;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    return assign(k);
  });
  const ref = reference.map((r) => (by === 'class' ? assign(r.className) : '#9a9a9a'));
  const legend = [...counts.keys()]
    .sort((a, b) => order.indexOf(a) - order.indexOf(b))
    .map((k) => ({ key: k, label: by === 'folder' ? folderLabel(k) : k, colour: colourOf.get(k)!, count: counts.get(k)! }));
  return { cell, reference: ref, legend };
}

/** Point indices per colour: one canvas path (and one fill) per colour instead of one per point. */
export function groupByColour(colours: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  colours.forEach((c, i) => {
    const l = out.get(c);
    if (l) l.push(i);
    else out.set(c, [i]);
  });
  return out;
}
