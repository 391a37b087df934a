import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { filesFromZip } from './bundleZip.ts';

const zipOf = (entries: Record<string, Uint8Array>): Blob => new Blob([zipSync(entries).slice().buffer]);

describe('filesFromZip with skip (the page peeking at a small zip)', () => {
  const encoder = new Uint8Array(4096).map((_, i) => i % 251);
  const zip = zipOf({
    'bundle/manifest.json': strToU8('{"id":"x"}'),
    'bundle/head.json': strToU8('{"w":[1]}'),
    'bundle/encoder.int8.onnx': encoder,
  });

  it('lists skipped entries as present but empty, and inflates the rest', async () => {
    const files = await filesFromZip(zip, 'b.zip', { skip: (p) => p.endsWith('.onnx') });
    expect(Object.keys(files).sort()).toEqual(['encoder.int8.onnx', 'head.json', 'manifest.json']);
    expect(files['encoder.int8.onnx']!.size).toBe(0);
    expect(await files['head.json']!.text()).toBe('{"w":[1]}');
  });

  it('without skip, every file comes back whole', async () => {
    const files = await filesFromZip(zip, 'b.zip');
    expect(new Uint8Array(await files['encoder.int8.onnx']!.arrayBuffer())).toEqual(encoder);
  });
});
