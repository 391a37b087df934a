import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  computeAxisCoeffs,
  IMAGENET_MEAN,
  IMAGENET_STD,
  preprocess,
  resizeBilinearAntialias,
  toNormalizedCHW,
  type RasterImage,
} from './preprocess.ts';

const FIX = new URL('./__fixtures__/preprocess/', import.meta.url);

interface FixtureIndex {
  mean: number[];
  std: number[];
  inputs: Record<string, { file: string; width: number; height: number }>;
  cases: { name: string; input: string; size: number; resized: string; tensor?: string }[];
}

const index = JSON.parse(readFileSync(new URL('index.json', FIX), 'utf8')) as FixtureIndex;

function readGz(file: string): Uint8Array {
  const buf = gunzipSync(readFileSync(new URL(file, FIX)));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
function readF32(file: string): Float32Array {
  const b = readGz(file);
  const copy = new Uint8Array(b); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}
function input(key: string): RasterImage {
  const meta = index.inputs[key]!;
  return { width: meta.width, height: meta.height, channels: 3, data: readGz(meta.file) };
}

describe('resizeBilinearAntialias vs Pillow Image.resize(BILINEAR)', () => {
  for (const c of index.cases) {
    it(`${c.name}: uint8 output is bit-exact`, () => {
      const src = input(c.input);
      const expected = readGz(c.resized);
      const got = resizeBilinearAntialias(src, c.size, c.size);
      expect(got.length).toBe(expected.length);
      let mismatches = 0;
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i]! - expected[i]!);
        if (d !== 0) mismatches++;
        if (d > maxDiff) maxDiff = d;
      }
      expect({ mismatches, maxDiff }).toEqual({ mismatches: 0, maxDiff: 0 });
    });
  }

  it('ignores alpha in a 4-channel raster', () => {
    const src = input('nonsquare');
    const rgba = new Uint8ClampedArray(src.width * src.height * 4);
    for (let i = 0, j = 0; i < src.width * src.height; i++, j += 3) {
      rgba[i * 4] = src.data[j]!;
      rgba[i * 4 + 1] = src.data[j + 1]!;
      rgba[i * 4 + 2] = src.data[j + 2]!;
      rgba[i * 4 + 3] = (i * 7) & 255;
    }
    const a = resizeBilinearAntialias(src, 224, 224);
    const b = resizeBilinearAntialias({ ...src, channels: 4, data: rgba }, 224, 224);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });

  it('fixed-point coefficients of each output pixel sum to ~1 << 22', () => {
    for (const [inS, outS] of [
      [363, 224],
      [23, 224],
      [360, 128],
      [224, 224],
    ] as const) {
      const c = computeAxisCoeffs(inS, outS);
      for (let i = 0; i < outS; i++) {
        let s = 0;
        for (let x = 0; x < c.count[i]!; x++) s += c.k[i * c.ksize + x]!;
        expect(Math.abs(s - (1 << 22))).toBeLessThanOrEqual(c.ksize);
      }
    }
  });

  it('rejects bad input', () => {
    expect(() => resizeBilinearAntialias({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) }, 2, 2)).toThrow(
      /too short/,
    );
    expect(() => resizeBilinearAntialias({ width: 0, height: 4, channels: 3, data: new Uint8Array(0) }, 2, 2)).toThrow();
  });
});

describe('preprocess vs ToTensor + Normalize reference', () => {
  const spec = (size: number) => ({ size, mean: index.mean, std: index.std });
  for (const c of index.cases.filter((x) => x.tensor)) {
    it(`${c.name}: max abs diff <= 1e-3 (and float32-exact)`, () => {
      const expected = readF32(c.tensor!);
      const got = preprocess(input(c.input), spec(c.size));
      expect(got.length).toBe(expected.length);
      let maxAbs = 0;
      for (let i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - expected[i]!));
      expect(maxAbs).toBeLessThanOrEqual(1e-3);
      expect(maxAbs).toBe(0); // LUT reproduces torch's float32 ops exactly
    });
  }

  it('writes into a batch buffer at an offset without touching the rest', () => {
    const c = index.cases.find((x) => x.name === 'lymphocyte_128')!;
    const expected = readF32(c.tensor!);
    const n = 3 * 128 * 128;
    const batch = new Float32Array(3 * n).fill(42);
    const ret = preprocess(input(c.input), spec(128), batch, n);
    expect(ret).toBe(batch);
    expect(batch[0]).toBe(42);
    expect(batch[n - 1]).toBe(42);
    expect(batch[2 * n]).toBe(42);
    expect(Array.from(batch.subarray(n, 2 * n))).toEqual(Array.from(expected));
    expect(() => preprocess(input(c.input), spec(128), batch, 2 * n + 1)).toThrow(/too small/);
  });

  it('toNormalizedCHW lays out channels as planes', () => {
    const rgb = new Uint8Array([255, 0, 128, 0, 255, 64, 10, 20, 30, 1, 2, 3]); // 2x2
    const t = toNormalizedCHW(rgb, { size: 2, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(t).map((v) => Math.round(v * 255))).toEqual([255, 0, 10, 1, 0, 255, 20, 2, 128, 64, 30, 3]);
    const u = toNormalizedCHW(rgb, { size: 2, mean: IMAGENET_MEAN, std: IMAGENET_STD });
    expect(u[0]).toBeCloseTo((1 - 0.485) / 0.229, 6);
    expect(u[4 + 1]).toBeCloseTo((1 - 0.456) / 0.224, 6);
  });
});
