import { describe, expect, it } from 'vitest';
import { checkModelIo } from './modelIo.ts';

const manifest = { input: { name: 'pixel_values', size: 224, mean: [0, 0, 0], std: [1, 1, 1], resize: 'whole-bilinear-antialias' }, output: { name: 'embedding' }, embeddingDim: 384 } as const;
const input = (shape: (number | string)[]) => [{ name: 'pixel_values', isTensor: true, type: 'float32', shape }];
const output = (shape: (number | string)[]) => [{ name: 'embedding', isTensor: true, type: 'float32', shape }];

describe('checkModelIo', () => {
  it('accepts a dynamic batch with the manifest sizes', () => {
    expect(checkModelIo(manifest as never, 'e.onnx', input(['N', 3, 224, 224]), output(['N', 384]))).toBeNull();
    expect(checkModelIo(manifest as never, 'e.onnx', input([]), output([]))).toBeNull();
  });
  it('names what differs', () => {
    expect(checkModelIo(manifest as never, 'e.onnx', input(['N', 3, 128, 128]), output(['N', 384]))).toMatch(/e\.onnx: input "pixel_values" has shape \[N, 3, 128, 128\].*\[N, 3, 224, 224\]/);
    expect(checkModelIo(manifest as never, 'e.onnx', input(['N', 3, 224, 224]), output(['N', 768]))).toMatch(/\[N, 768\].*\[N, 384\]/);
    expect(checkModelIo(manifest as never, 'e.onnx', [{ name: 'input', isTensor: true }], output(['N', 384]))).toMatch(/expected input "pixel_values"/);
  });
});
