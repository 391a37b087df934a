import { describe, expect, it } from 'vitest';
import { applyHead, decide, headToJson, parseHeadJson, shortestFloat32, softmax, topK, UNIDENTIFIED } from './head.ts';

const headJson = {
  format: 'linear-softmax-v1',
  classes: ['a', 'b', 'c'],
  inputDim: 2,
  weight: [
    [1, 0],
    [0, 1],
    [-1, -1],
  ],
  bias: [0, 0.5, 0],
};

describe('softmax', () => {
  it('sums to 1 and matches the definition', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expect(p[0]).toBeCloseTo(e[0]! / s, 6);
    expect(p[2]).toBeCloseTo(e[2]! / s, 6);
    expect(Array.from(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
  it('is numerically stable for huge logits', () => {
    const p = softmax([1000, 1001, -1e6]);
    expect(Number.isFinite(p[0])).toBe(true);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(p[2]).toBe(0);
    expect(Array.from(softmax([-1e4, -1e4])).map((v) => v.toFixed(3))).toEqual(['0.500', '0.500']);
  });
});

describe('topK', () => {
  it('returns the k largest, largest first, lower index on ties', () => {
    expect(topK([0.1, 0.5, 0.2, 0.5], 3)).toEqual([
      { index: 1, p: 0.5 },
      { index: 3, p: 0.5 },
      { index: 2, p: 0.2 },
    ]);
    expect(topK([0.3, 0.7], 5)).toHaveLength(2);
    expect(topK([0.3, 0.7], 0)).toEqual([]);
  });
});

describe('decide', () => {
  const classes = ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil'];
  it('classifies above the threshold', () => {
    const d = decide([0.1, 0.7, 0.15, 0.05], classes, 0.5);
    expect(d.predictedClass).toBe('lymphocyte');
    expect(d.topClass).toBe('lymphocyte');
    expect(d.confidence).toBe(0.7);
    expect(d.top3).toEqual([
      { cls: 'lymphocyte', p: 0.7 },
      { cls: 'monocyte', p: 0.15 },
      { cls: 'neutrophil', p: 0.1 },
    ]);
  });
  it('is Unidentified below the threshold, classified exactly at it', () => {
    const low = decide([0.3, 0.45, 0.2, 0.05], classes, 0.5);
    expect(low.predictedClass).toBe(UNIDENTIFIED);
    expect(low.topClass).toBe('lymphocyte');
    expect(decide([0.5, 0.3, 0.1, 0.1], classes, 0.5).predictedClass).toBe('neutrophil');
    expect(decide([0.5, 0.3, 0.1, 0.1], classes, 0).predictedClass).toBe('neutrophil');
  });
  it('rejects mismatched lengths', () => {
    expect(() => decide([0.5, 0.5], classes, 0.5)).toThrow(/2 probabilities for 4 classes/);
  });
});

describe('parseHeadJson / applyHead', () => {
  it('parses and applies a head', () => {
    const head = parseHeadJson(headJson, ['a', 'b', 'c'], 2);
    expect(head.inputDim).toBe(2);
    expect(Array.from(head.weight)).toEqual([1, 0, 0, 1, -1, -1]);
    const emb = new Float32Array([2, 0, 0, 0]);
    const p = applyHead(head, emb, 2);
    expect(p).toHaveLength(6);
    const l0 = [2, 0.5, -2];
    const s0 = l0.reduce((a, b) => a + Math.exp(b), 0);
    expect(p[0]).toBeCloseTo(Math.exp(2) / s0, 6);
    // second row: logits [0, 0.5, 0]
    expect(p[4]).toBeCloseTo(Math.exp(0.5) / (2 + Math.exp(0.5)), 6);
    expect(p[3]! + p[4]! + p[5]!).toBeCloseTo(1, 6);
  });

  it('gives clear errors', () => {
    const bad = (patch: Record<string, unknown>) => ({ ...headJson, ...patch });
    expect(() => parseHeadJson(null)).toThrow(/must be a JSON object/);
    expect(() => parseHeadJson(bad({ format: 'mlp-v2' }))).toThrow(/format "mlp-v2" is not supported/);
    expect(() => parseHeadJson(bad({ classes: ['a'] }))).toThrow(/at least 2/);
    expect(() => parseHeadJson(bad({ classes: ['a', 'a', 'b'] }))).toThrow(/"a" appears more than once/);
    expect(() => parseHeadJson(headJson, ['a', 'c', 'b'])).toThrow(/do not match the manifest/);
    expect(() => parseHeadJson(headJson, undefined, 384)).toThrow(/expects 2-dimensional embeddings but the encoder produces 384/);
    expect(() => parseHeadJson(bad({ weight: [[1, 0], [0, 1]] }))).toThrow(/one row per class \(3 rows\), got 2/);
    expect(() => parseHeadJson(bad({ weight: [[1, 0], [0, 1, 2], [0, 0]] }))).toThrow(/weight\[1\] must have 2 numbers, got 3/);
    expect(() => parseHeadJson(bad({ weight: [[1, 0], [0, 'x'], [0, 0]] }))).toThrow(/weight\[1\]\[1\] is not a finite number/);
    expect(() => parseHeadJson(bad({ bias: [0, 0] }))).toThrow(/"bias" must have 3 numbers/);
    expect(() => parseHeadJson(bad({ inputDim: 3 }))).toThrow(/inputDim is 3 but weight rows have 2/);
  });

  it('round-trips through headToJson exactly (float32)', () => {
    const C = 3;
    const D = 50;
    const w = new Float32Array(C * D);
    for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 12.9898) * 43758.5453 % 1e-3 + (i % 7) * 1e-8;
    const head = { classes: ['x', 'y', 'z'], inputDim: D, weight: w, bias: new Float32Array([0.1, -2.5e-7, 3]) };
    const text = headToJson(head, { trainedOn: 'unit test' });
    const parsed = parseHeadJson(JSON.parse(text), ['x', 'y', 'z'], D);
    expect(Array.from(parsed.weight)).toEqual(Array.from(w));
    expect(Array.from(parsed.bias)).toEqual(Array.from(head.bias));
    expect((JSON.parse(text) as { trainedOn: string }).trainedOn).toBe('unit test');
  });

  it('shortestFloat32 is short and exact', () => {
    expect(shortestFloat32(0.1)).toBe('0.1');
    expect(shortestFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(shortestFloat32(-0)).toBe('0');
    for (const v of [1e-30, 3.4e38, -123.456, 7e-8]) {
      const f = Math.fround(v);
      expect(Math.fround(Number(shortestFloat32(f)))).toBe(f);
    }
  });
});
