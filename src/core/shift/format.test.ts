import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, base64ToFloat32, bytesToBase64, float32ToBase64 } from './base64.ts';
import { parseShiftStats, parseShiftStatsText, shiftStatsMismatch, shiftStatsToJson, validateShiftStatsJson } from './format.ts';
import { createShiftScorer } from './score.ts';
import { buildShiftStats, ShiftStatsError } from './stats.ts';
import { mulberry32 } from './random.ts';

const schema = JSON.parse(readFileSync(new URL('./shift-stats.schema.json', import.meta.url), 'utf8')) as object;
const ajvValidate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const SHA = 'c'.repeat(64);
const OTHER = 'd'.repeat(64);

function smallStats(score: 'mahalanobis' | 'relative-mahalanobis' = 'mahalanobis') {
  const rand = mulberry32(4);
  const n = 60;
  const d = 3;
  const X = Float32Array.from({ length: n * d }, (_, i) => rand() + (i % 2) * 3);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  return buildShiftStats(X, n, d, y, ['blast', 'lymphocyte'], { bundleId: 'lab-x', encoderSha256: [SHA], score, sampleSize: 10, source: 'test', now: new Date(0) });
}

describe('base64 float32', () => {
  it('round-trips bytes of every length and matches Node', () => {
    for (let len = 0; len < 10; len++) {
      const b = Uint8Array.from({ length: len }, (_, i) => (i * 77 + 5) & 255);
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
      expect(Array.from(base64ToBytes(bytesToBase64(b)))).toEqual(Array.from(b));
    }
    const f = Float32Array.of(0, -1.5, 3.1415927, 1e-30, 6e37);
    expect(Array.from(base64ToFloat32(float32ToBase64(f)))).toEqual(Array.from(f));
    expect(() => base64ToBytes('ab$=')).toThrow(/invalid base64/);
    expect(() => base64ToBytes('abc')).toThrow(/multiple of 4/);
  });
});

describe('shift statistics file', () => {
  it('serialises and parses back exactly, and scores the same', () => {
    for (const kind of ['mahalanobis', 'relative-mahalanobis'] as const) {
      const s = smallStats(kind);
      const text = shiftStatsToJson(s);
      const json = JSON.parse(text) as unknown;
      expect(validateShiftStatsJson(json)).toEqual({ ok: true });
      expect(ajvValidate(json)).toBe(true);
      const back = parseShiftStatsText(text);
      expect(back.threshold).toBe(s.threshold);
      expect(Array.from(back.whitening)).toEqual(Array.from(s.whitening));
      expect(Array.from(back.means)).toEqual(Array.from(s.means));
      expect(Array.from(back.sample.labels)).toEqual(Array.from(s.sample.labels));
      expect(back.background !== undefined).toBe(kind === 'relative-mahalanobis');
      const probe = Float32Array.of(0.5, 3.5, 0.5, 9, 9, 9);
      expect(Array.from(createShiftScorer(back).score(probe, 2))).toEqual(Array.from(createShiftScorer(s).score(probe, 2)));
      expect(shiftStatsToJson(back)).toBe(text);
    }
  });

  type Json = Record<string, unknown>;
  const good = (): Json => JSON.parse(shiftStatsToJson(smallStats())) as Json;
  const broken: [string, (j: Json) => void, RegExp?][] = [
    ['wrong format', (j) => (j.format = 'other'), /^format must be/],
    ['version 2', (j) => (j.version = 2), /version 2 is not supported/],
    ['missing threshold', (j) => delete j.threshold, /missing required property "threshold"/],
    ['threshold string', (j) => (j.threshold = '3')],
    ['unknown key', (j) => (j.extra = 1), /unknown property "extra"/],
    ['bad encoder sha', (j) => (j.encoderSha256 = ['ABC']), /encoderSha256\[0\] must be 64 lowercase hex/],
    ['no encoder sha', (j) => (j.encoderSha256 = [])],
    ['dimension 0', (j) => (j.embeddingDim = 0)],
    ['unknown score', (j) => (j.score = 'energy'), /score must be one of/],
    ['quantile 0', (j) => (j.thresholdQuantile = 0)],
    ['flag rate > 1', (j) => (j.expectedFlagRate = 1.5)],
    ['folds 1', (j) => ((j.heldIn as Json).folds = 1)],
    ['quantile level > 1', (j) => (((j.heldIn as Json).quantiles as Json).p = [0.5, 2])],
    ['means not base64', (j) => ((j.means as Json).float32 = 'not base64!'), /means\.float32 must be base64/],
    ['means shape 3-d', (j) => ((j.means as Json).shape = [1, 2, 3])],
    ['whitening without layout', (j) => delete (j.whitening as Json).layout],
    ['sample negative label', (j) => ((j.sample as Json).labels = [-1])],
    ['classCounts zero', (j) => (j.classCounts = [0, 3])],
    ['class empty name', (j) => (j.classes = ['', 'b'])],
    ['background incomplete', (j) => (j.background = { mean: j.means })],
    ['not an object', (j) => { for (const k of Object.keys(j)) delete j[k]; }],
  ];
  for (const [name, mutate, re] of broken) {
    it(`rejects: ${name} (ajv agrees)`, () => {
      const j = good();
      mutate(j);
      const r = validateShiftStatsJson(j);
      expect(r.ok).toBe(false);
      expect(ajvValidate(j)).toBe(false);
      if (!r.ok && re) expect(r.errors.some((e) => re.test(e)), r.errors.join('\n')).toBe(true);
      expect(() => parseShiftStats(j)).toThrow(ShiftStatsError);
    });
  }

  it('refuses decoded arrays that do not fit the dimension and classes (beyond the schema)', () => {
    const cases: [(j: Json) => void, RegExp][] = [
      [(j) => (j.embeddingDim = 4), /means\.shape is \[2, 3\], expected \[2, 4\]/],
      [(j) => ((j.means as Json).float32 = float32ToBase64(new Float32Array(5))), /means\.float32 holds 5 values, expected 6/],
      [(j) => ((j.means as Json).float32 = float32ToBase64(Float32Array.of(1, 2, 3, 4, 5, NaN))), /means has non-finite values/],
      [(j) => (j.classCounts = [1]), /classCounts has 1 entries for 2 classes/],
      [(j) => ((j.sample as Json).labels = [0, 5, 1, 0, 1, 0, 1, 0, 1, 0]), /sample\.labels\[1\] is 5/],
      [(j) => (j.score = 'relative-mahalanobis'), /needs "background"/],
    ];
    for (const [mutate, re] of cases) {
      const j = good();
      mutate(j);
      expect(ajvValidate(j)).toBe(true);
      expect(() => parseShiftStats(j)).toThrow(re);
    }
    expect(() => parseShiftStatsText('{not json')).toThrow(/not valid JSON/);
  });

  it('refuses statistics of another encoder: dimension or sha256 mismatch, with the reason', () => {
    const s = smallStats();
    const manifest = { id: 'lab-x', embeddingDim: 3, encoder: { variants: [{ file: 'encoder.int8.onnx', sha256: SHA }, { file: 'encoder.fp32.onnx', sha256: OTHER }] } };
    expect(shiftStatsMismatch(s, manifest as never)).toBeNull();
    expect(shiftStatsMismatch(s, manifest as never, SHA)).toBeNull();
    expect(shiftStatsMismatch(s, manifest as never, OTHER)).toMatch(/computed with another encoder .*not with this model's encoder\.fp32\.onnx/);
    expect(shiftStatsMismatch(s, { ...manifest, embeddingDim: 384 } as never)).toMatch(/for 3-dimensional embeddings, but this model's encoder produces 384/);
    expect(shiftStatsMismatch(s, { ...manifest, encoder: { variants: [{ file: 'e.onnx', sha256: OTHER }] } } as never)).toMatch(/another encoder/);
  });

  it('the statistics shipped with the default bundle parse and fit it', () => {
    const root = new URL('../../../public/models/', import.meta.url);
    const dir = new URL('pbc-compact-cnn-v1/', root);
    const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { shift?: { file: string }; embeddingDim: number; id: string; encoder: { variants: { sha256: string; file: string }[] } };
    if (!manifest.shift) return;
    const text = readFileSync(new URL(manifest.shift.file, dir), 'utf8');
    const json = JSON.parse(text) as unknown;
    expect(ajvValidate(json)).toBe(true);
    const s = parseShiftStats(json);
    for (const v of manifest.encoder.variants) expect(shiftStatsMismatch(s, manifest as never, v.sha256)).toBeNull();
    expect(s.expectedFlagRate).toBeGreaterThan(0.005);
    expect(s.expectedFlagRate).toBeLessThan(0.02);
  });
});
