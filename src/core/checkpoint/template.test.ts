/**
 * The in-browser build of the encoder files against the Python converter's, on the tiny fixture:
 * byte-identical files (so identical int8 values and scales, identical fp16 weights), and the same
 * outputs when onnxruntime runs them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildEncoder, finishFiniteCheck } from './build.ts';
import { FiniteCheck, loadCheckpoint } from './layout.ts';
import { sha256HexSync } from './sha256.ts';
import { EXTERNAL_DATA_PATH, externalWeights, fillTemplate, parseTemplate, type OnnxTemplate } from './template.ts';
import { fixture, fixtureBytes, fixtureJson } from '../../../tools/fixtures/checkpointFixtures.ts';

const PRECISIONS = ['fp32', 'int8', 'int8-fc2fp32', 'fp16'] as const;
const EXPECTED = fixtureJson<{ files: Record<string, string>; outputs: Record<string, number[][]> }>('onnx/expected.json');
const template = (p: string): OnnxTemplate => parseTemplate(fixtureBytes(`onnx/tiny.${p}.tpl`));

async function built(file: string, precision: (typeof PRECISIONS)[number]): Promise<Uint8Array> {
  const ck = await loadCheckpoint(fixture(`good/${file}`), 2);
  const { blob, sha256, bytes } = await buildEncoder(ck, template(precision));
  const data = new Uint8Array(await blob.arrayBuffer());
  expect(bytes).toBe(data.length);
  expect(sha256).toBe(sha256HexSync(data)); // the streamed hash is the file's
  return data;
}

describe('filled templates are the Python converter\'s files, byte for byte', () => {
  for (const file of ['tiny.bin', 'tiny.pth', 'tiny.safetensors', 'tiny-parameters.pth', 'tiny-strided.pth']) {
    it(`${file}: fp32, int8 (both recipes) and fp16 encoders`, async () => {
      for (const p of PRECISIONS) {
        const data = await built(file, p);
        expect(sha256HexSync(data), `${file} ${p}`).toBe(EXPECTED.files[`encoder.${p}.onnx`]);
        expect([...data.subarray(0, 64)]).toEqual([...fixtureBytes(`onnx/bundle/encoder.${p}.onnx`).subarray(0, 64)]);
      }
    });
  }
});

describe('their outputs (onnxruntime-node) equal the Python converter\'s ONNX outputs', () => {
  const input = (() => {
    const x = new Float32Array(2 * 3 * 224 * 224);
    for (let i = 0; i < x.length; i++) x[i] = Math.fround(2 * Math.sin(i * 0.001));
    return x;
  })();
  for (const p of PRECISIONS) {
    it(`${p}: max |Δ| ≤ 1e-5 against onnxruntime (Python) on the same input`, async () => {
      const s = await ort.InferenceSession.create(await built('tiny.pth', p));
      const out = (await s.run({ pixel_values: new ort.Tensor('float32', input, [2, 3, 224, 224]) })).embedding!.data as Float32Array;
      const want = EXPECTED.outputs[p]!.flat();
      expect(out.length).toBe(want.length);
      let max = 0;
      for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i]! - want[i]!));
      expect(max).toBeLessThanOrEqual(1e-5);
      await s.release();
    });
  }
});

describe('the external-data graph the converter verifies with', () => {
  it('the template graph + weights sliced out of the built file compute exactly what the built file computes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ext-graph-'));
    const x = new Float32Array(3 * 224 * 224).map((_, i) => Math.fround(Math.cos(i * 0.002)));
    for (const p of PRECISIONS) {
      const tpl = template(p);
      const ck = await loadCheckpoint(fixture('good/tiny.safetensors'), 2);
      const { blob } = await buildEncoder(ck, tpl);
      writeFileSync(join(dir, EXTERNAL_DATA_PATH), new Uint8Array(await externalWeights(tpl, blob).arrayBuffer()));
      writeFileSync(join(dir, `${p}.onnx`), tpl.graph);
      const feed = { pixel_values: new ort.Tensor('float32', x, [1, 3, 224, 224]) };
      const full = await ort.InferenceSession.create(new Uint8Array(await blob.arrayBuffer()));
      const ext = await ort.InferenceSession.create(join(dir, `${p}.onnx`));
      const a = (await full.run(feed)).embedding!.data as Float32Array;
      const b = (await ext.run(feed)).embedding!.data as Float32Array;
      expect([...b], p).toEqual([...a]);
      await full.release();
      await ext.release();
    }
  });
});

describe('fillTemplate guards', () => {
  it('refuses a tensor whose size does not fit its hole', async () => {
    const tpl = template('fp32');
    const sink = { write: () => {} };
    await expect(fillTemplate(tpl, sink, { tensor: async () => new Float32Array(3) })).rejects.toThrow(/values for the template's/);
  });

  it('stops when the checkpoint callback throws (Cancel)', async () => {
    let n = 0;
    const tpl = template('int8');
    const ck = await loadCheckpoint(fixture('good/tiny.bin'), 2);
    const cancel = new Error('cancelled');
    await expect(
      fillTemplate(tpl, { write: () => {} }, {
        tensor: (key) => ck.tensors.get(key)!.read(),
        checkpoint: () => {
          if (++n > 2) throw cancel;
        },
      }),
    ).rejects.toBe(cancel);
  });

  it('a template is small and says what it fills', () => {
    const tpl = template('int8');
    expect(tpl.header).toMatchObject({ precision: 'int8', dim: 8, depth: 2, numHeads: 2, input: 'pixel_values', output: 'embedding' });
    expect(tpl.header.holes.filter((h) => h.enc === 'q8').length).toBe(8); // 4 MatMul weights per block
  });

  it('NaN/Inf anywhere (also in mask_token, which no graph uses) is refused after the build', async () => {
    const ck = await loadCheckpoint(fixture('bad/nan.bin'), 2);
    const finite = new FiniteCheck(ck.name);
    const tpl = template('fp32');
    await buildEncoder(ck, tpl, { finite });
    await expect(finishFiniteCheck(ck, tpl, finite)).rejects.toThrow('nan.bin: NaN/Inf values in blocks.0.norm1.weight');
  });
});
