/**
 * Cell-centred framing (`input.resize = "cell-centred-v1"`): find the white cell in a crop and frame a
 * square around it with a fixed margin, so that the model sees the cell at the same scale whether the
 * lab's crop is loose (PBC: the cell fills ~35 % of it), tight (60–90 %) or at another magnification.
 *
 * Mirrored line by line in tools/train_default/cellcrop.py (the training and evaluation code);
 * src/core/cellCrop.test.ts checks the two agree on the fixtures made by
 * tools/fixtures/make_cellcrop_fixture.py. Everything up to the box is integer arithmetic (block sums,
 * sorted-integer percentiles, connected components as sets); the one floating-point step (centroid
 * distance) is the same IEEE double operations in the same order on both sides.
 *
 *     crop ──► b×b blocks (longest side ≤ 64 blocks) ──► stain score s = ΣR + ΣB − 2ΣG per block
 *          ──► mask: s > median + (p99.5 − median)/2        (no cell when p99.5 − median is small)
 *          ──► 3×3 dilation, 8-connected components; keep those with ≥ 1/5 of the largest's blocks
 *          ──► the one whose centroid is nearest the crop centre (two cells → the central one)
 *          ──► square box around its mask blocks, side × (1 + 2·margin), ≥ 32 px, centred on it;
 *              outside the crop it is filled with the median colour of the brightest tenth (background)
 *
 * Purple/blue nuclei and cytoplasm score high; pink or pale red cells, background and black padding
 * score low, in PBC's colours and in other labs' (LISC's bluish background, pale red cells).
 */
import type { CellFraming } from './cell.ts';
import type { RasterImage } from './preprocess.ts';

export const CELL_CENTRED_POLICY = 'cell-centred-v1';
/** at most this many analysis blocks along the longest side */
const GRID = 64;
/** smaller crops are resized whole, as with whole-bilinear-antialias */
export const MIN_CROP = 32;
/** per pixel, in units of R + B − 2G: below this nothing is stained enough to be a white cell */
const MIN_CONTRAST = 48;
/** a component needs at least this many mask blocks */
const MIN_BLOCKS = 2;
/** px, the smallest box side */
const MIN_SIDE = 32;
/** the percentile (per mille) taken as "most stained" */
const HI_PERMILLE = 995;

export const NOTE_SMALL = 'Crop under 32 px: the whole crop was used.';
export const NOTE_NO_CELL = 'No stained cell found: the whole crop was used.';

/** A square window in source pixels; it may extend past the crop, where it is `fill`. */
export interface CellWindow {
  left: number;
  top: number;
  side: number;
  fill: [number, number, number];
}

export type CellSearch = { framing: CellFraming; window: CellWindow | null };

/** Margin as an integer per mille (validated margins are 0..2, so rounding never hits a tie in practice). */
export function marginPermille(margin: number): number {
  return Math.floor(margin * 1000 + 0.5);
}

interface Component {
  area: number;
  sumX: number;
  sumY: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  first: number;
}

/**
 * The k-th smallest of a[0..m) (0-based), as `a.subarray(0, m).sort()[k]` gives it, in O(m) expected time
 * instead of a sort (the framing runs once per cell; sorting the block scores was a fifth of its time).
 * Reorders a[0..m); a value's rank is unique, so the answer is the sort's exactly, ties included.
 */
export function kthSmallest(a: Float64Array, m: number, k: number): number {
  if (!(k >= 0 && k < m && m <= a.length)) throw new RangeError(`rank ${k} of ${m} values`);
  let lo = 0;
  let hi = m - 1;
  while (lo < hi) {
    // Hoare partition around the median of three: [lo, j] <= pivot <= [j + 1, hi]
    const mid = (lo + hi) >> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (a[j]! > pivot);
      if (i >= j) break;
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    if (k <= j) hi = j;
    else lo = j + 1;
  }
  return a[k]!;
}

const noCell = (note: string): CellSearch => ({ framing: { cellFound: false, note }, window: null });

/** Find the cell and its window (see the file comment). `src` may be RGB or RGBA (alpha ignored). */
export function findCell(src: RasterImage, margin: number): CellSearch {
  const { width: w, height: h, channels: sc, data } = src;
  if (Math.min(w, h) < MIN_CROP) return noCell(NOTE_SMALL);
  const b = Math.floor((Math.max(w, h) + GRID - 1) / GRID);
  const gw = Math.floor(w / b);
  const gh = Math.floor(h / b);
  const n = gw * gh;
  const sr = new Float64Array(n);
  const sg = new Float64Array(n);
  const sb = new Float64Array(n);
  for (let y = 0; y < gh * b; y++) {
    const row = Math.floor(y / b) * gw;
    let p = y * w * sc;
    for (let gx = 0; gx < gw; gx++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let k = 0; k < b; k++, p += sc) {
        r += data[p]!;
        g += data[p + 1]!;
        bl += data[p + 2]!;
      }
      sr[row + gx]! += r;
      sg[row + gx]! += g;
      sb[row + gx]! += bl;
    }
  }
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) score[i] = sr[i]! + sb[i]! - 2 * sg[i]!;
  const work = Float64Array.from(score);
  const hi = kthSmallest(work, n, Math.floor(((n - 1) * HI_PERMILLE) / 1000));
  const med = kthSmallest(work, n, (n - 1) >> 1);
  const contrast = hi - med;
  if (contrast < MIN_CONTRAST * b * b) return noCell(NOTE_NO_CELL);
  const thr = med + Math.floor(contrast / 2);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = score[i]! > thr ? 1 : 0;
  const dil = new Uint8Array(n);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      if (!mask[y * gw + x]) continue;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(gh - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(gw - 1, x + 1); xx++) dil[yy * gw + xx] = 1;
      }
    }
  }
  // 8-connected components of the dilated mask; each one's statistics over its original mask blocks
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const comps: Component[] = [];
  for (let start = 0; start < n; start++) {
    if (!dil[start] || seen[start]) continue;
    const c: Component = { area: 0, sumX: 0, sumY: 0, x0: gw, x1: -1, y0: gh, y1: -1, first: n };
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % gw;
      const y = (i - x) / gw;
      if (mask[i]) {
        c.area++;
        c.sumX += 2 * x + 1;
        c.sumY += 2 * y + 1;
        if (x < c.x0) c.x0 = x;
        if (x > c.x1) c.x1 = x;
        if (y < c.y0) c.y0 = y;
        if (y > c.y1) c.y1 = y;
        if (i < c.first) c.first = i;
      }
      for (let yy = Math.max(0, y - 1); yy <= Math.min(gh - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(gw - 1, x + 1); xx++) {
          const j = yy * gw + xx;
          if (dil[j] && !seen[j]) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    comps.push(c);
  }
  let largest = 0;
  for (const c of comps) largest = Math.max(largest, c.area);
  let best: Component | null = null;
  let bestDist = Infinity;
  for (const c of comps) {
    if (c.area < MIN_BLOCKS || c.area * 5 < largest) continue;
    const dx = c.sumX / c.area - gw;
    const dy = c.sumY / c.area - gh;
    const dist = dx * dx + dy * dy;
    if (best === null || dist < bestDist || (dist === bestDist && (c.area > best.area || (c.area === best.area && c.first < best.first)))) {
      best = c;
      bestDist = dist;
    }
  }
  if (best === null) return noCell(NOTE_NO_CELL);
  const px0 = best.x0 * b;
  const px1 = (best.x1 + 1) * b;
  const py0 = best.y0 * b;
  const py1 = (best.y1 + 1) * b;
  let side = Math.max(px1 - px0, py1 - py0);
  side += 2 * Math.floor((side * marginPermille(margin)) / 1000);
  side = Math.max(side, MIN_SIDE);
  const left = Math.floor((px0 + px1 - side) / 2);
  const topPx = Math.floor((py0 + py1 - side) / 2);
  // padding colour: per-channel median block mean over the brightest tenth of the blocks (background)
  const bright = new Float64Array(n);
  for (let i = 0; i < n; i++) bright[i] = sr[i]! + sg[i]! + sb[i]!;
  const brightThr = kthSmallest(Float64Array.from(bright), n, Math.floor(((n - 1) * 900) / 1000));
  const fill: number[] = [];
  const bb = b * b;
  const v = new Float64Array(n);
  for (const ch of [sr, sg, sb]) {
    let m = 0;
    for (let i = 0; i < n; i++) if (bright[i]! >= brightThr) v[m++] = Math.floor(ch[i]! / bb);
    fill.push(kthSmallest(v, m, (m - 1) >> 1));
  }
  return { framing: { cellFound: true }, window: { left, top: topPx, side, fill: [fill[0]!, fill[1]!, fill[2]!] } };
}
