import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '../manifest.ts';
import { convertedManifest } from './bundleManifest.ts';
import { expectedShapes, loadCheckpoint, SIZES, type VitConfig } from './layout.ts';
import { browserMessage, MEASURED_PEAK, RENDERER_BUDGET_BYTES, estimatedPeakBytes, refuseInBrowser, storageShortfall } from './limits.ts';
import { fixture } from '../../../tools/fixtures/checkpointFixtures.ts';
import type { ByteSource } from './source.ts';

/** A safetensors file of any size without the bytes: the header is real, the data reads as zeros. */
function virtualSafetensors(name: string, cfg: VitConfig): ByteSource {
  const meta: Record<string, unknown> = {};
  let at = 0;
  for (const [k, shape] of expectedShapes(cfg)) {
    if (k === 'mask_token') continue;
    const n = shape.reduce((a, b) => a * b, 1) * 2;
    meta[k] = { dtype: 'F16', shape, data_offsets: [at, at + n] };
    at += n;
  }
  const header = new TextEncoder().encode(JSON.stringify(meta));
  const head = new Uint8Array(8 + header.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(header.length), true);
  head.set(header, 8);
  return {
    name,
    size: head.length + at,
    async read(offset, length) {
      const out = new Uint8Array(length);
      if (offset < head.length) out.set(head.subarray(offset, Math.min(head.length, offset + length)));
      return out;
    },
  };
}

const cfg = (dim: number, ffn: VitConfig['ffn'] = 'mlp', hidden = 0): VitConfig => ({
  dim, depth: SIZES[dim]![3], numHeads: SIZES[dim]![2], patchSize: 14, imgSize: 224, ffn, hidden,
});

describe('what the in-browser converter accepts', () => {
  it('measured peaks are recorded for S and B, and B is within the tab budget', () => {
    expect(MEASURED_PEAK.S.bytes).toBeGreaterThan(0);
    expect(MEASURED_PEAK.B.bytes).toBeGreaterThan(MEASURED_PEAK.S.bytes);
    expect(MEASURED_PEAK.B.bytes).toBeLessThanOrEqual(RENDERER_BUDGET_BYTES);
  });

  it('DinoBloom-L (1.2 GB file) is refused before any weight is read, with the memory it would need', async () => {
    const ck = await loadCheckpoint(virtualSafetensors('model.safetensors', cfg(1024)));
    expect([ck.size, ck.variant, ck.parameters]).toEqual(['L', 'vit_large_patch14', 303_227_904]); // ViT-L/14 at 224 px, no mask_token
    const err = refuseInBrowser(ck)!;
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/^model\.safetensors: DinoBloom-L \(303 M parameters\) is too large to convert in a browser tab: it would need about 3\.\d GB of memory/);
    expect(err.message).toContain(`measured: converting DinoBloom-B, 87 M parameters, peaks at ${(MEASURED_PEAK.B.bytes / 1e9).toFixed(2)} GB`);
    expect(estimatedPeakBytes(ck.parameters)).toBeGreaterThan(RENDERER_BUDGET_BYTES);
    expect(err.message).toContain('npm run convert');
  });

  it('DinoBloom-G (SwiGLU, 4.4 GB) is refused: memory, and over the 2 GB ONNX limit', async () => {
    const ck = await loadCheckpoint(virtualSafetensors('DinoBloom-G.safetensors', cfg(1536, 'swiglu', 4096)));
    expect([ck.size, ck.config.ffn]).toEqual(['G', 'swiglu']);
    const err = refuseInBrowser(ck)!;
    expect(err.message).toMatch(/DinoBloom-G \(\d{4} M parameters\) is too large to convert in a browser tab: it would need about \d+\.\d GB/);
    expect(err.message).toContain('over the 2 GB single-file ONNX limit');
  });

  it('S and B are converted; other DINOv2 sizes are not DinoBloom', async () => {
    const s = await loadCheckpoint(virtualSafetensors('s.safetensors', cfg(384)));
    expect(refuseInBrowser(s)).toBeNull();
    const tiny = await loadCheckpoint(fixture('good/tiny.bin'), 2);
    expect(refuseInBrowser(tiny)!.message).toMatch(/a DINOv2 ViT of a size DinoBloom does not have \(vit_d8_depth2_h2_patch14/);
    const noHeads = await loadCheckpoint(fixture('good/tiny.bin')).catch((e: unknown) => browserMessage(e) as Error);
    expect((noHeads as Error).message).toBe('tiny.bin: embed dim 8 is not a standard DINOv2 size (384/768/1024/1536): not DinoBloom-S (384) or -B (768), which is what the in-browser converter builds');
  });
});

describe('storage', () => {
  it('a bundle that will not fit is refused before converting, with the sizes', () => {
    const ck = { parameters: 22_056_576, size: 'S' as const };
    expect(storageShortfall(ck, 'DinoBloom-S.pth', { quota: 1e9, usage: 0 }, false)).toBeNull();
    expect(storageShortfall(ck, 'DinoBloom-S.pth', undefined, false)).toBeNull();
    const err = storageShortfall(ck, 'DinoBloom-S.pth', { quota: 150e6, usage: 100e6 }, false)!;
    expect(err.message).toBe('DinoBloom-S.pth: not enough browser storage for the converted DinoBloom-S (about 110 MB; 50 MB free). Nothing was converted; free space (Models → Storage) or remove another model.');
  });
});

describe('the converted manifest', () => {
  it('validates with the app\'s validator and the JSON schema, encoder only, with convertedFrom', async () => {
    const ck = await loadCheckpoint(virtualSafetensors('model.safetensors', cfg(384)));
    const m = convertedManifest(
      ck,
      { bytes: 86_530_944, sha256: 'a7aa4f35e0fdc34c1ce25962db2511df895a96201f2cebe19dd3b3539ab93b26', official: { sha256: 'x', label: 'DinoBloom-S, timm port', size: 'S', source: 'hf' } },
      [
        { precision: 'fp32', file: 'encoder.fp32.onnx', bytes: 86_582_409, sha256: 'b'.repeat(64), verification: { inputs: '8 crops' } },
        { precision: 'int8', file: 'encoder.int8.onnx', bytes: 23_168_830, sha256: 'c'.repeat(64), verification: { minCosine: 0.9995, meanCosine: 0.9997, maxAbsDiff: 0.1, inputs: '8 crops', method: 'recipe' } },
      ],
      { id: 'dinobloom-s', converter: 'test' },
    );
    expect(validateManifest(m).ok ? [] : (validateManifest(m) as { errors: string[] }).errors).toEqual([]);
    const schema = JSON.parse(readFileSync(new URL('../manifest.schema.json', import.meta.url), 'utf8')) as object;
    expect(new Ajv2020({ strict: false }).compile(schema)(m)).toBe(true);
    expect(m).toMatchObject({ id: 'dinobloom-s', name: 'DinoBloom-S', embeddingDim: 384, convertedFrom: { file: 'model.safetensors', layout: 'timm-safetensors', official: 'DinoBloom-S, timm port' } });
    expect(m.head).toBeUndefined();
    expect(m.encoder.variants.map((v) => v.backends)).toEqual([['wasm', 'webgpu'], ['wasm']]);
  });
});
