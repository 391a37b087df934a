import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildBundleZip } from './bundleExport.ts';
import { validateManifest, type BundleManifest } from './manifest.ts';
import { buildStoredZip, crc32Update } from './zipWriter.ts';

const DIR = new URL('../../public/models/test-tiny-dinov2/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as BundleManifest;
const files = (): Record<string, Blob> =>
  Object.fromEntries(['manifest.json', ...manifest.encoder.variants.map((v) => v.file), manifest.head!.file].map((f) => [f, new Blob([readFileSync(new URL(f, DIR))])]));

describe('buildBundleZip', () => {
  it('a zip with <id>/manifest.json, every encoder variant and the head, byte-identical', async () => {
    const z = await buildBundleZip(manifest, files());
    expect(z.fileName).toBe('test-tiny-dinov2-1.0.0-test.zip');
    const entries = unzipSync(new Uint8Array(await z.blob.arrayBuffer()));
    expect(Object.keys(entries)).toEqual(['manifest.json', 'encoder.fp32.onnx', 'encoder.int8.onnx', 'encoder.fp16.onnx', 'head.json'].map((f) => `test-tiny-dinov2/${f}`));
    for (const f of ['encoder.fp32.onnx', 'encoder.int8.onnx', 'head.json']) {
      expect(Buffer.from(entries[`test-tiny-dinov2/${f}`]!).equals(readFileSync(new URL(f, DIR))), f).toBe(true);
    }
    const m = JSON.parse(new TextDecoder().decode(entries['test-tiny-dinov2/manifest.json']));
    expect(validateManifest(m).ok).toBe(true);
    expect(m).toEqual(manifest);
  });

  it('Python\'s zipfile finds every CRC correct', async () => {
    const z = await buildBundleZip(manifest, files());
    const p = join(mkdtempSync(join(tmpdir(), 'bundlezip-')), z.fileName);
    writeFileSync(p, new Uint8Array(await z.blob.arrayBuffer()));
    const r = spawnSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), len(z.namelist()))', p], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('None 5');
  });

  it('an encoder-only bundle (a converted one) zips without a head', async () => {
    const { head: _h, ...encoderOnly } = manifest;
    const f = files();
    delete f['head.json'];
    const z = await buildBundleZip(encoderOnly, f);
    expect(z.files).toEqual(['manifest.json', 'encoder.fp32.onnx', 'encoder.int8.onnx', 'encoder.fp16.onnx']);
  });

  it('carries the shift statistics (shift.json) of a bundle that has them', async () => {
    const dir = new URL('../../public/models/pbc-compact-cnn-v1/', import.meta.url);
    const m = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as BundleManifest;
    expect(m.shift).toBeDefined();
    const f = Object.fromEntries([...m.encoder.variants.map((v) => v.file), m.head!.file, m.shift!.file].map((x) => [x, new Blob([readFileSync(new URL(x, dir))])]));
    const z = await buildBundleZip(m, f);
    expect(z.files).toContain('shift.json');
    const entries = unzipSync(new Uint8Array(await z.blob.arrayBuffer()));
    expect(Buffer.from(entries[`${m.id}/shift.json`]!).equals(readFileSync(new URL('shift.json', dir)))).toBe(true);
    delete f['shift.json'];
    await expect(buildBundleZip(m, f)).rejects.toThrow('shift.json is missing');
  });

  it('without the encoder (a head bundle): manifest, head and shift statistics only; the manifest still pins the encoder', async () => {
    const f = files();
    for (const v of manifest.encoder.variants) delete f[v.file];
    const z = await buildBundleZip(manifest, f, { withoutEncoder: true });
    expect(z.files).toEqual(['manifest.json', 'head.json']);
    const entries = unzipSync(new Uint8Array(await z.blob.arrayBuffer()));
    expect(JSON.parse(new TextDecoder().decode(entries['test-tiny-dinov2/manifest.json'])).encoder).toEqual(manifest.encoder);
  });

  it('refuses to export a missing, truncated or altered file', async () => {
    const missing = files();
    delete missing['encoder.int8.onnx'];
    await expect(buildBundleZip(manifest, missing)).rejects.toThrow('encoder.int8.onnx is missing: the bundle cannot be exported.');
    const short = files();
    short['head.json'] = short['head.json']!.slice(1);
    await expect(buildBundleZip(manifest, short)).rejects.toThrow(/head\.json has \d+ bytes but the manifest says/);
    const altered = files();
    const bytes = new Uint8Array(await altered['encoder.fp32.onnx']!.arrayBuffer());
    bytes[1000]! ^= 0xff;
    altered['encoder.fp32.onnx'] = new Blob([bytes]);
    await expect(buildBundleZip(manifest, altered)).rejects.toThrow('encoder.fp32.onnx does not match its sha256 in the manifest');
  });
});

describe('buildStoredZip', () => {
  it('crc32 of "123456789" is cbf43926', () => {
    expect(crc32Update(0, new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
  });
  it('refuses unsafe or duplicate names', async () => {
    await expect(buildStoredZip([{ name: '../x', data: new Blob(['a']) }])).rejects.toThrow(/bad or duplicate/);
    await expect(buildStoredZip([{ name: 'a', data: new Blob(['a']) }, { name: 'a', data: new Blob(['b']) }])).rejects.toThrow(/bad or duplicate/);
  });
});
