import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CELL_CENTRED_POLICY, findCell, kthSmallest, NOTE_NO_CELL, NOTE_SMALL, type CellWindow } from './cellCrop.ts';
import { preprocess, preprocessFramed, resizeBilinearAntialias, specFromInput, type PreprocessSpec, type RasterImage } from './preprocess.ts';

/** Made by tools/fixtures/make_cellcrop_fixture.py from tools/train_default/cellcrop.py (the training code). */
const FIX = new URL('./__fixtures__/cellcrop/', import.meta.url);

interface Case {
  name: string;
  input: string;
  margin: number;
  cellFound: boolean;
  note?: string;
  window?: { left: number; top: number; side: number; fill: number[] };
  imageSha256: string;
  tensorSha256: string;
}
interface Index {
  size: number;
  mean: number[];
  std: number[];
  inputs: Record<string, { file: string; width: number; height: number }>;
  cases: Case[];
}

const index = JSON.parse(readFileSync(new URL('index.json', FIX), 'utf8')) as Index;

function input(key: string): RasterImage {
  const meta = index.inputs[key]!;
  const buf = gunzipSync(readFileSync(new URL(meta.file, FIX)));
  return { width: meta.width, height: meta.height, channels: 3, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}
const sha = (b: Uint8Array | Uint8ClampedArray | Float32Array) => createHash('sha256').update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest('hex');
const spec = (margin: number): PreprocessSpec => ({ size: index.size, mean: index.mean, std: index.std, resize: CELL_CENTRED_POLICY, margin });

describe('cell-centred-v1: TypeScript vs the Python training code (tools/train_default/cellcrop.py)', () => {
  it('covers found, padded, two-cell, no-cell and small crops', () => {
    const names = index.cases.map((c) => c.name);
    for (const n of ['monocyte_tight@0.5', 'two_cells@0.5', 'blank@0.5', 'red_cells_only@0.5', 'tiny@0.5']) expect(names).toContain(n);
    expect(index.cases.filter((c) => c.cellFound).length).toBeGreaterThanOrEqual(8);
  });

  for (const c of index.cases) {
    it(`${c.name}: same framing, bit-identical image and tensor`, () => {
      const src = input(c.input);
      const found = findCell(src, c.margin);
      expect(found.framing.cellFound).toBe(c.cellFound);
      if (c.note) expect(found.framing.note).toBe(c.note);
      expect(found.window).toEqual(c.window ?? null);
      expect(sha(resizeBilinearAntialias(src, index.size, index.size, found.window ?? undefined))).toBe(c.imageSha256);
      const { data, framing } = preprocessFramed(src, spec(c.margin));
      expect(framing).toEqual(found.framing);
      expect(sha(data)).toBe(c.tensorSha256);
    });
  }
});

describe('cell-centred-v1 behaviour', () => {
  it('two cells: frames the one nearest the centre', () => {
    const src = input('two_cells');
    const w = findCell(src, 0.5).window!;
    // the lymphocyte is the right-hand cell, nearer the centre than the neutrophil at the left edge
    expect(w.left + w.side / 2).toBeGreaterThan(src.width / 2);
  });

  it('no cell: whole crop, and says so', () => {
    for (const key of ['blank', 'red_cells_only']) {
      const src = input(key);
      const { data, framing } = preprocessFramed(src, spec(0.5));
      expect(framing).toEqual({ cellFound: false, note: NOTE_NO_CELL });
      expect(sha(data)).toBe(sha(preprocess(src, { size: index.size, mean: index.mean, std: index.std })));
    }
  });

  it('crops under 32 px are resized whole, as with the whole-crop policy', () => {
    const src = input('tiny');
    expect(Math.min(src.width, src.height)).toBeLessThan(32);
    const { data, framing } = preprocessFramed(src, spec(0.5));
    expect(framing).toEqual({ cellFound: false, note: NOTE_SMALL });
    expect(sha(data)).toBe(sha(preprocess(src, { size: index.size, mean: index.mean, std: index.std })));
  });

  it('a tight crop: the window leaves the crop and is padded with a light background colour', () => {
    const src = input('monocyte_tight');
    const w = findCell(src, 0.5).window!;
    expect(w.left).toBeLessThan(0);
    expect(w.left + w.side).toBeGreaterThan(src.width);
    expect(Math.min(...w.fill)).toBeGreaterThan(150);
  });

  it('ignores alpha in an RGBA raster', () => {
    const src = input('neutrophil');
    const rgba = new Uint8ClampedArray(src.width * src.height * 4);
    for (let i = 0, j = 0; i < src.width * src.height; i++, j += 3) {
      rgba.set(src.data.subarray(j, j + 3), i * 4);
      rgba[i * 4 + 3] = i % 251;
    }
    const a = preprocessFramed(src, spec(0.5));
    const b = preprocessFramed({ ...src, channels: 4, data: rgba }, spec(0.5));
    expect(b.framing).toEqual(a.framing);
    expect(sha(b.data)).toBe(sha(a.data));
  });

  it('whole-crop bundles keep the whole crop and report no framing', () => {
    const src = input('neutrophil');
    const whole = specFromInput({ name: 'x', size: 64, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], resize: 'whole-bilinear-antialias' });
    const r = preprocessFramed(src, whole);
    expect(r.framing).toBeNull();
    expect(sha(r.data)).toBe(sha(preprocess(src, { size: 64, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] })));
  });

  it('specFromInput carries the policy and its margin', () => {
    const s = specFromInput({ name: 'x', size: 128, mean: [0.1, 0.2, 0.3], std: [1, 1, 1], resize: 'cell-centred-v1', margin: 0.5 });
    expect(s).toEqual({ size: 128, mean: [0.1, 0.2, 0.3], std: [1, 1, 1], resize: 'cell-centred-v1', margin: 0.5 });
  });
});

describe('the framing\'s fast paths give what the plain definitions give', () => {
  it('kthSmallest is the sorted array\'s k-th value, ties and all', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (const m of [1, 2, 3, 7, 64, 500]) {
      for (const spread of [1, 4, 1000]) {
        const values = Float64Array.from({ length: m }, () => Math.floor(rand() * spread) - spread / 2);
        const sorted = Float64Array.from(values).sort();
        for (let k = 0; k < m; k++) expect(kthSmallest(Float64Array.from(values), m, k)).toBe(sorted[k]);
      }
    }
    // only the first m values count
    expect(kthSmallest(Float64Array.from([5, 1, 3, -100, -200]), 3, 0)).toBe(1);
    expect(() => kthSmallest(new Float64Array(4), 4, 4)).toThrow(RangeError);
    expect(() => kthSmallest(new Float64Array(4), 0, 0)).toThrow(RangeError);
  });

  /** The window as an explicit image (crop pixels, fill outside), the definition the resize must match. */
  function padded(src: RasterImage, w: CellWindow): RasterImage {
    const data = new Uint8ClampedArray(w.side * w.side * 3);
    for (let y = 0; y < w.side; y++) {
      for (let x = 0; x < w.side; x++) {
        const sx = w.left + x;
        const sy = w.top + y;
        const inside = sx >= 0 && sx < src.width && sy >= 0 && sy < src.height;
        for (let c = 0; c < 3; c++) data[(y * w.side + x) * 3 + c] = inside ? src.data[(sy * src.width + sx) * src.channels + c]! : w.fill[c]!;
      }
    }
    return { width: w.side, height: w.side, channels: 3, data };
  }

  it('a window inside the crop, over each edge, larger than it or beside it: same as resizing the padded window', () => {
    const rgb = input('neutrophil');
    const rgba: RasterImage = { width: rgb.width, height: rgb.height, channels: 4, data: new Uint8ClampedArray(rgb.width * rgb.height * 4) };
    for (let i = 0; i < rgb.width * rgb.height; i++) rgba.data.set(rgb.data.subarray(i * 3, i * 3 + 3), i * 4);
    const { width: W, height: H } = rgb;
    const fill: [number, number, number] = [230, 210, 200];
    const windows: CellWindow[] = [
      { left: 20, top: 10, side: 100, fill }, // inside: rows read in place
      { left: -30, top: 15, side: 120, fill }, // over the left edge
      { left: W - 90, top: -25, side: 120, fill }, // over the right and top edges
      { left: 10, top: H - 60, side: 110, fill }, // over the bottom edge
      { left: -40, top: -40, side: Math.max(W, H) + 80, fill }, // larger than the crop
      { left: W + 5, top: 0, side: 50, fill }, // beside it: all fill
    ];
    for (const src of [rgb, rgba]) {
      for (const w of windows) {
        const out = resizeBilinearAntialias(src, 64, 64, w);
        expect(sha(out), JSON.stringify([src.channels, w.left, w.top, w.side])).toBe(sha(resizeBilinearAntialias(padded(src, w), 64, 64)));
      }
    }
  });
});
