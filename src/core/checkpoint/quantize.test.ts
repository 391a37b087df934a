import { describe, expect, it } from 'vitest';
import { floatToHalfBits, quantizeInt8PerColumn, toFloat16Clamped } from './quantize.ts';
import { fixtureJson } from '../../../tools/fixtures/checkpointFixtures.ts';

/** Made by onnxruntime's own quantize_data / convert_np_to_float16 (tools/fixtures/make_checkpoint_fixtures.py). */
const Q = fixtureJson<{
  int8: Record<string, { values: number[]; scale: number; q: number[] }>;
  fp16: { values: number[]; half: number[] };
}>('quant.json');

const fromBits = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const bitsOf = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0]!;

describe('int8 per-channel quantisation = onnxruntime quantize_dynamic (QInt8, per channel, symmetric)', () => {
  for (const [name, c] of Object.entries(Q.int8)) {
    it(`${name}: identical int8 values, scale within one float32 ulp`, () => {
      const w = fromBits(c.values);
      const { q, scales } = quantizeInt8PerColumn(w, w.length, 1);
      expect([...q]).toEqual(c.q);
      expect(Math.abs(bitsOf(scales[0]!) - c.scale)).toBeLessThanOrEqual(1);
      expect(bitsOf(scales[0]!)).toBe(c.scale); // in fact bit-identical
    });
  }

  it('treats each column of a [K, N] matrix as its own channel', () => {
    const cols = Object.values(Q.int8).filter((c) => c.values.length >= 5).slice(0, 3);
    const k = Math.min(...cols.map((c) => c.values.length));
    // three columns, each the first k values of a case: quantise them together, compare with each alone
    const w = new Float32Array(k * cols.length);
    cols.forEach((c, j) => fromBits(c.values).subarray(0, k).forEach((v, r) => (w[r * cols.length + j] = v)));
    const together = quantizeInt8PerColumn(w, k, cols.length);
    cols.forEach((c, j) => {
      const alone = quantizeInt8PerColumn(fromBits(c.values).subarray(0, k), k, 1);
      expect(together.scales[j]).toBe(alone.scales[0]);
      for (let r = 0; r < k; r++) expect(together.q[r * cols.length + j]).toBe(alone.q[r]);
    });
  });

  it('ties round half to even (scale 2^-7, values k + 0.5)', () => {
    const { q, scales } = quantizeInt8PerColumn(Float32Array.from([127, 2.5, 3.5, -2.5, -3.5, 0.5, -0.5], (v) => v / 128), 7, 1);
    expect(scales[0]).toBe(2 ** -7);
    expect([...q]).toEqual([127, 2, 4, -2, -4, 0, 0]);
  });
});

describe('fp16 weights = onnxruntime.transformers.float16.convert_np_to_float16', () => {
  it('identical half bits for every case (clamps, ties, subnormals, overflow)', () => {
    const got = toFloat16Clamped(fromBits(Q.fp16.values));
    expect([...got]).toEqual(Q.fp16.half);
  });

  it('rounds to nearest even', () => {
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalfBits(65520)).toBe(0x7c00);
    expect(floatToHalfBits(2 ** -24)).toBe(1);
    expect(floatToHalfBits(2 ** -25)).toBe(0);
  });
});
