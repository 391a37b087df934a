import { describe, expect, it } from 'vitest';
import { applyHead, parseHeadJson } from '../head.ts';
import { validateManifest } from '../manifest.ts';
import { trainHeadSync } from './engine.ts';
import { mulberry32 } from './folds.ts';
import { createKnnHead } from './knn.ts';
import {
  checkLabHeadFits,
  headRefOf,
  knnLabHead,
  labHeadFromHeadJson,
  labHeadFromTraining,
  labHeadLinear,
  labHeadManifestEntry,
  labHeadPredictProba,
  labHeadToHeadJson,
  labHeadToJson,
  LAB_HEAD_FORMAT_VERSION,
  nextHeadVersion,
  parseLabHead,
  uniqueHeadName,
  type LabHeadRecord,
} from './labHead.ts';
import type { TrainingSetSummary } from './trainingSet.ts';

const d = 5;
const r = mulberry32(9);
const n = 60;
const X = Float32Array.from({ length: n * d }, (_, i) => r() + (Math.floor(i / d) % 3) * (i % d === 0 ? 2 : 0));
const y = Int32Array.from({ length: n }, (_, i) => i % 3);
const classes = ['neutrophil', 'band neutrophil', 'blast'];
const result = trainHeadSync({ jobId: 'j', classes, embeddings: X, labels: y, dim: d, options: { knn: true } });
const summary: TrainingSetSummary = {
  total: n,
  classes: classes.map((name) => ({ name, count: 20, bySource: [20] })),
  sources: [{ kind: 'folder', name: 'lab folder', count: n, duplicates: 0 }],
  duplicatesDropped: 0,
};
const encoder = { bundleId: 'dinobloom-s', bundleVersion: '1.0.0', encoderSha256: 'a'.repeat(64), precision: 'int8', inputDim: d };
const record = labHeadFromTraining(result, {
  id: 'head-1',
  name: 'Lab head',
  encoder,
  trainingSet: summary,
  existing: [
    { name: 'Lab head', version: '1' },
    { name: 'other', version: '2' },
  ],
  createdAt: new Date('2026-03-04T05:06:07Z'),
});

describe('names and versions', () => {
  it('disambiguates a taken name (case-insensitive) and numbers versions per encoder', () => {
    expect(uniqueHeadName('Lab head', [])).toBe('Lab head');
    expect(uniqueHeadName('Lab head', ['lab HEAD'])).toBe('Lab head (2)');
    expect(uniqueHeadName('Lab head', ['Lab head', 'Lab head (2)'])).toBe('Lab head (3)');
    expect(uniqueHeadName('Lab head (2)', ['Lab head', 'Lab head (2)'])).toBe('Lab head (3)');
    expect(uniqueHeadName('   ', [])).toBe('Lab head');
    expect(nextHeadVersion([])).toBe('1');
    expect(nextHeadVersion(['1', '7', 'x'])).toBe('8');
    expect(record.name).toBe('Lab head (2)');
    expect(record.version).toBe('3');
    expect(headRefOf(record)).toEqual({ id: 'head-1', name: 'Lab head (2)', version: '3' });
  });
});

describe('record from a training', () => {
  it('keeps classes, weights, temperature, summary and the k-fold metrics', () => {
    expect(record.classes).toEqual(classes);
    expect(record.createdAt).toBe('2026-03-04T05:06:07.000Z');
    expect(record.temperature).toBe(result.temperature);
    expect(record.metrics?.folds).toBe(5);
    expect(record.metrics?.balancedAccuracy).toBe(result.evaluation!.linear.report.balancedAccuracy);
    expect(record.metrics?.knn.map((k) => k.k)).toEqual([1, 20]);
    expect(record.metrics?.confusion).toHaveLength(3);
    // what the head predicts = the engine's calibrated head
    expect(Array.from(labHeadPredictProba(record, X, n))).toEqual(Array.from(applyHead(result.head, X, n)));
  });

  it('refuses a head whose input dimension does not match the encoder, naming both', () => {
    expect(() => checkLabHeadFits(record, { bundleId: 'dinobloom-s', inputDim: 384 })).toThrow(
      'Head "Lab head (2)" expects 5-dimensional embeddings, but the encoder produces 384.',
    );
    expect(() => checkLabHeadFits(record, { bundleId: 'pbc-compact-cnn-v1', inputDim: 5 })).toThrow(/trained for encoder "dinobloom-s"/);
    expect(checkLabHeadFits(record, { bundleId: 'dinobloom-s', inputDim: 5, encoderSha256: 'b'.repeat(64) })).toHaveLength(1);
    expect(() => labHeadFromTraining(result, { id: 'x', name: 'x', encoder: { ...encoder, inputDim: 6 }, trainingSet: summary })).toThrow(/5-dimensional .* produces 6/);
  });
});

describe('JSON (de)serialisation', () => {
  it('round-trips a linear head exactly', () => {
    const back = parseLabHead(JSON.parse(labHeadToJson(record)), { bundleId: 'dinobloom-s', inputDim: d });
    expect(back.classifier).toEqual(record.classifier);
    const { classifier: _a, ...restBack } = back;
    const { classifier: _b, ...rest } = record;
    expect(JSON.parse(JSON.stringify(restBack))).toEqual(JSON.parse(JSON.stringify(rest)));
  });

  it('round-trips a kNN head, whose probabilities are vote shares', () => {
    const knn = knnLabHead(result, createKnnHead(classes, X, y, d, 20), { id: 'k', name: 'kNN', encoder, trainingSet: summary });
    const back = parseLabHead(JSON.parse(labHeadToJson(knn)));
    expect(back.classifier).toEqual(knn.classifier);
    expect(back.metrics?.balancedAccuracy).toBe(result.evaluation!.knn[1]!.report.balancedAccuracy);
    const p = labHeadPredictProba(back, X.subarray(0, 2 * d), 2);
    for (const v of p) expect(Math.round(v * 20)).toBeCloseTo(v * 20, 5);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 6);
  });

  it('says what is wrong with a bad record', () => {
    const json = JSON.parse(labHeadToJson(record)) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>) => () => parseLabHead({ ...json, ...patch });
    expect(bad({ format: 'x' })).toThrow(/not a lab head/);
    expect(bad({ formatVersion: LAB_HEAD_FORMAT_VERSION + 1 })).toThrow(/newer version of the app/);
    expect(bad({ classes: ['a', 'a', 'b'] })).toThrow(/class "a" appears twice/);
    expect(bad({ name: '' })).toThrow(/"name" must be a non-empty string/);
    expect(bad({ temperature: 0 })).toThrow(/"temperature"/);
    expect(bad({ encoder: { ...(json.encoder as object), inputDim: 4 } })).toThrow(/5-dimensional embeddings, but the record says 4/);
    expect(() => parseLabHead(json, { bundleId: 'dinobloom-s', inputDim: 384 })).toThrow(/expects 5-dimensional embeddings, but the encoder produces 384/);
  });
});

describe('as a bundle head', () => {
  it('exports head.json (linear-softmax-v1, temperature folded) + manifest entry, and imports back', async () => {
    const text = labHeadToHeadJson(record);
    const head = parseHeadJson(JSON.parse(text), classes, d);
    const expected = labHeadLinear(record);
    // head.json stores each float32 by its shortest decimal: the same float32 values come back
    expect(Array.from(head.weight)).toEqual(Array.from(expected.weight));
    expect(Array.from(head.bias)).toEqual(Array.from(expected.bias));
    const entry = await labHeadManifestEntry(record, text);
    expect(entry.bytes).toBe(new TextEncoder().encode(text).length);
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.trainedOn).toBe('lab head "Lab head (2)" v3: 60 cells, 3 classes, trained in the app 2026-03-04');
    // the entry passes the manifest schema inside a bundle's manifest
    const manifest = {
      formatVersion: 1, id: 'dinobloom-s', name: 'DinoBloom-S', version: '1.0.0',
      architecture: { family: 'dinov2-vit', variant: 'vits14' }, embeddingDim: d,
      input: { name: 'image', size: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'whole-bilinear-antialias' },
      encoder: { variants: [{ precision: 'int8', file: 'encoder.int8.onnx', bytes: 1, sha256: 'a'.repeat(64), backends: ['wasm'] }] },
      head: entry, unidentifiedThreshold: 0.5, licence: 'Apache-2.0', citation: 'x',
    };
    const v = validateManifest(manifest);
    expect(v.ok ? [] : v.errors).toEqual([]);
    const back = labHeadFromHeadJson(JSON.parse(text), { id: 'dinobloom-s', embeddingDim: d, head: entry }) as LabHeadRecord;
    expect(back.name).toBe(record.name);
    expect(back.version).toBe(record.version);
    expect(back.temperature).toBe(1);
    expect(back.metrics).toEqual(JSON.parse(JSON.stringify(record.metrics)));
    expect(Array.from(labHeadPredictProba(back, X, n))).toEqual(Array.from(labHeadPredictProba(record, X, n)));
    // the bundle's own head.json has no labHead block
    expect(labHeadFromHeadJson({ classes, weight: [], bias: [] }, { id: 'x', embeddingDim: d, head: entry })).toBeNull();
  });
});
