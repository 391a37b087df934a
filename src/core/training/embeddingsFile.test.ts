import { describe, expect, it } from 'vitest';
import { decodeEmbeddingsFile, encodeEmbeddingsFile, type EmbeddingHeader } from './embeddingsFile.ts';

const header: EmbeddingHeader = {
  format: 'dinobloom-embeddings', version: 1, n: 3, d: 2, dtype: 'float32', labelDtype: 'int32',
  classes: ['a', 'b'], files: ['a/1.jpg', 'b/ü,"x".jpg', 'a/3.jpg'], bundleId: 'x', bundleVersion: '1',
  precision: 'fp32', encoderFile: 'encoder.fp32.onnx', encoderSha256: '0'.repeat(64), inputSize: 224, data: 'd', createdAt: 'now',
};
const file = { header, embeddings: new Float32Array([1, -2.5, 3e-8, 4, 5, 6]), labels: new Int32Array([0, 1, 0]) };

describe('embeddings file (browser and Node)', () => {
  it('round-trips, with the header padded to 8 bytes', () => {
    const bytes = encodeEmbeddingsFile(file);
    expect((12 + new DataView(bytes.buffer).getUint32(8, true)) % 8).toBe(0);
    const back = decodeEmbeddingsFile(bytes);
    expect(back.header).toEqual(header);
    expect(Array.from(back.embeddings)).toEqual(Array.from(file.embeddings));
    expect(Array.from(back.labels)).toEqual([0, 1, 0]);
    // a view into a larger buffer (as a File's slice might give) reads the same
    const big = new Uint8Array(bytes.length + 5);
    big.set(bytes, 3);
    expect(decodeEmbeddingsFile(big.subarray(3, 3 + bytes.length)).header.n).toBe(3);
  });

  it('says what is wrong with a bad file', () => {
    const bytes = encodeEmbeddingsFile(file);
    expect(() => decodeEmbeddingsFile(new TextEncoder().encode('hello world, not embeddings'), 'x.emb')).toThrow('x.emb is not a DinoBloom embeddings file (magic DBEMBED1 missing)');
    expect(() => decodeEmbeddingsFile(bytes.subarray(0, bytes.length - 1), 'x.emb')).toThrow(/x.emb is truncated or corrupt/);
    const badLabel = bytes.slice();
    new DataView(badLabel.buffer).setInt32(badLabel.length - 4, 7, true);
    expect(() => decodeEmbeddingsFile(badLabel, 'x.emb')).toThrow('x.emb: label 7 of sample 2 is not one of the 2 classes');
  });
});
