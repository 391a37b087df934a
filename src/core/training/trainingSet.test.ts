import { describe, expect, it } from 'vitest';
import { TrainingInputError } from './errors.ts';
import { assembleTrainingSet, verifiedLabel, type TrainingSource } from './trainingSet.ts';

const enc = { bundleId: 'dinobloom-s', encoderSha256: 'a'.repeat(64), dim: 2 };
const src = (kind: TrainingSource['kind'], name: string, classes: string[], labels: number[], hashes?: string[]): TrainingSource => ({
  kind,
  name,
  encoder: enc,
  classes,
  labels: Int32Array.from(labels),
  embeddings: Float32Array.from(labels.flatMap((l, i) => [l, i])),
  imageHashes: hashes,
});

describe('assembleTrainingSet', () => {
  it('combines sources, encoder classes first, and summarises per class and per source', () => {
    const set = assembleTrainingSet(
      [src('folder', 'lab folder', ['blast', 'neutrophil'], [0, 0, 1]), src('cases', '2 signed cases', ['lymphocyte', 'neutrophil'], [0, 1, 1, 1])],
      enc,
      ['neutrophil', 'lymphocyte', 'monocyte'],
    );
    expect(set.classes).toEqual(['neutrophil', 'lymphocyte', 'blast']);
    expect(Array.from(set.labels)).toEqual([2, 2, 0, 1, 0, 0, 0]);
    expect(Array.from(set.embeddings.subarray(0, 4))).toEqual([0, 0, 0, 1]);
    expect(set.summary.total).toBe(7);
    expect(set.summary.classes).toEqual([
      { name: 'neutrophil', count: 4, bySource: [1, 3] },
      { name: 'lymphocyte', count: 1, bySource: [0, 1] },
      { name: 'blast', count: 2, bySource: [2, 0] },
    ]);
    expect(set.summary.sources).toEqual([
      { kind: 'folder', name: 'lab folder', count: 3, duplicates: 0 },
      { kind: 'cases', name: '2 signed cases', count: 4, duplicates: 0 },
    ]);
  });

  it('keeps an image that appears twice once, and says when its classes disagreed', () => {
    const set = assembleTrainingSet(
      [src('folder', 'f', ['a', 'b'], [0, 1], ['h1', 'h2']), src('cases', 'c', ['a', 'b'], [0, 0, 1], ['h1', 'h2', 'h3'])],
      enc,
    );
    expect(set.summary.total).toBe(3);
    expect(set.summary.duplicatesDropped).toBe(2);
    expect(set.summary.sources[1]).toEqual({ kind: 'cases', name: 'c', count: 1, duplicates: 2 });
    expect(set.messages).toEqual([
      '2 images appeared more than once (same file contents): kept once.',
      "1 of them had different classes in different sources: the first source's class was kept.",
    ]);
  });

  it('refuses another embedding size or another encoder, with both; notes another precision', () => {
    const other = { ...src('embeddings-file', 'emb-b.emb', ['a'], [0]), encoder: { bundleId: 'dinobloom-b', dim: 768 } };
    expect(() => assembleTrainingSet([other], enc)).toThrow(new TrainingInputError('"emb-b.emb" holds 768-dimensional embeddings, but the active encoder produces 2.'));
    expect(() => assembleTrainingSet([{ ...other, encoder: { bundleId: 'dinobloom-b', dim: 2 } }], enc)).toThrow(/embedded with "dinobloom-b", not with the active encoder "dinobloom-s"/);
    const fp32 = { ...src('embeddings-file', 'fp32.emb', ['a'], [0]), encoder: { ...enc, encoderSha256: 'b'.repeat(64) } };
    expect(assembleTrainingSet([fp32], enc).messages[0]).toMatch(/another precision of the same encoder/);
    expect(() => assembleTrainingSet([], enc)).toThrow(/No training data/);
  });
});

describe('verifiedLabel', () => {
  it('is the reviewer’s class, else the prediction left standing; null when never classified', () => {
    const classes = ['a', 'b', 'c'];
    expect(verifiedLabel({ status: 'classified', userClass: 'blast', probabilities: [0.1, 0.8, 0.1] }, classes)).toBe('blast');
    expect(verifiedLabel({ status: 'classified', userClass: null, probabilities: [0.1, 0.3, 0.6] }, classes)).toBe('c');
    expect(verifiedLabel({ status: 'error', userClass: null, probabilities: null }, classes)).toBeNull();
    expect(verifiedLabel({ status: 'classified', userClass: null, probabilities: [0.5, 0.5] }, classes)).toBeNull();
  });
});
