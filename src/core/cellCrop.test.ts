import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CELL_CENTRED_POLICY, findCell, NOTE_NO_CELL, NOTE_SMALL } from './cellCrop.ts';
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
