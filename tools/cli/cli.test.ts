/**
 * CLI smoke test (embed → train-head → evaluate on the 16 fixture crops with the tiny random-weight
 * bundle, in a temp copy) and Node-side decoding/embeddings-file checks.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHeadJson } from '../../src/core/head.ts';
import { validateManifest } from '../../src/core/manifest.ts';
import { decodeEmbeddings, decodeImage, encodeEmbeddings, listDataset, readEmbeddings, type EmbeddingHeader } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'public/models/test-tiny-dinov2');
const FIXTURES = join(ROOT, 'e2e/fixtures/pbc');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const haveBundle = existsSync(join(BUNDLE, 'manifest.json'));

function cli(name: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(TSX, [join(ROOT, 'tools/cli', `${name}.ts`), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${name} exited with ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('decodeImage (sharp) vs PIL', () => {
  it('decodes a fixture crop to the same RGB as PIL (within 2 levels; measured: identical)', async () => {
    const index = JSON.parse(readFileSync(join(ROOT, 'src/core/__fixtures__/preprocess/index.json'), 'utf8')) as {
      inputs: Record<string, { file: string; width: number; height: number }>;
    };
    for (const [key, file] of [
      ['basophil', 'basophil__BA_413080.jpg'],
      ['neutrophil', 'neutrophil__BNE_2019.jpg'],
    ] as const) {
      const meta = index.inputs[key]!;
      const pil = gunzipSync(readFileSync(join(ROOT, 'src/core/__fixtures__/preprocess', meta.file)));
      const img = await decodeImage(join(FIXTURES, file));
      expect([img.width, img.height, img.channels]).toEqual([meta.width, meta.height, 3]);
      let max = 0;
      for (let i = 0; i < pil.length; i++) max = Math.max(max, Math.abs(img.data[i]! - pil[i]!));
      expect(max).toBeLessThanOrEqual(2);
    }
  });
});

describe('dataset listing and embeddings file', () => {
  it('lists flat <class>__<name> fixtures and limits round-robin', () => {
    const ds = listDataset(FIXTURES);
    expect(ds.classes).toEqual(['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet']);
    expect(ds.items).toHaveLength(16);
    expect(ds.items[0]!.file).toBe('basophil__BA_413080.jpg');
    const lim = listDataset(FIXTURES, 10);
    expect(lim.items).toHaveLength(10);
    expect(new Set(lim.items.map((i) => i.label)).size).toBe(8);
  });

  it('round-trips the binary format', () => {
    const header: EmbeddingHeader = {
      format: 'dinobloom-embeddings', version: 1, n: 3, d: 2, dtype: 'float32', labelDtype: 'int32',
      classes: ['a', 'b'], files: ['a/1.jpg', 'b/ü,"x".jpg', 'a/3.jpg'], bundleId: 'x', bundleVersion: '1',
      precision: 'fp32', encoderFile: 'encoder.fp32.onnx', encoderSha256: '0'.repeat(64), inputSize: 224, data: 'd', createdAt: 'now',
    };
    const f = { header, embeddings: new Float32Array([1, -2.5, 3e-8, 4, 5, 6]), labels: new Int32Array([0, 1, 0]) };
    const buf = Buffer.from(encodeEmbeddings(f));
    expect(buf.readUInt32LE(8) % 8).toBe(4); // 12 + H is a multiple of 8
    const back = decodeEmbeddings(buf);
    expect(back.header).toEqual(header);
    expect(Array.from(back.embeddings)).toEqual(Array.from(f.embeddings));
    expect(Array.from(back.labels)).toEqual([0, 1, 0]);
    expect(() => decodeEmbeddings(buf.subarray(0, buf.length - 1))).toThrow(/truncated/);
  });
});

describe.skipIf(!haveBundle)('CLI smoke test: embed → train-head → evaluate (tiny bundle)', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dinobloom-cli-'));
    cpSync(BUNDLE, join(tmp, 'bundle'), { recursive: true });
    // start from an encoder-only bundle, as the converter produces it
    const m = JSON.parse(readFileSync(join(tmp, 'bundle/manifest.json'), 'utf8')) as Record<string, unknown>;
    delete m.head;
    rmSync(join(tmp, 'bundle/head.json'));
    writeFileSync(join(tmp, 'bundle/manifest.json'), JSON.stringify(m, null, 2));
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('runs end to end and leaves a valid bundle', () => {
    const bundle = join(tmp, 'bundle');
    const emb = join(tmp, 'fixtures.emb');
    const e = cli('embed', ['--bundle', bundle, '--data', FIXTURES, '--out', emb, '--precision', 'int8', '--batch', '5']);
    expect(e.stderr).toMatch(/cells\/s/);
    const f = readEmbeddings(emb);
    expect(f.header.n).toBe(16);
    expect(f.header.d).toBe(32);
    expect(f.embeddings).toHaveLength(16 * 32);
    expect(f.header.classes).toHaveLength(8);
    expect(f.header.bundleId).toBe('test-tiny-dinov2');
    expect(f.header.precision).toBe('int8');
    expect(Array.from(f.labels)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
    expect(f.embeddings.every(Number.isFinite)).toBe(true);

    cli('train-head', ['--embeddings', emb, '--out', bundle, '--C', '1', '--max-iter', '300']);
    const manifestJson = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as unknown;
    const v = validateManifest(manifestJson);
    expect(v.ok ? [] : v.errors).toEqual([]);
    if (!v.ok) return;
    expect(v.manifest.head?.classes).toEqual(f.header.classes);
    expect(Object.keys(manifestJson as object).indexOf('head')).toBe(Object.keys(manifestJson as object).indexOf('encoder') + 1);
    const headText = readFileSync(join(bundle, 'head.json'));
    expect(v.manifest.head?.bytes).toBe(headText.length);
    const head = parseHeadJson(JSON.parse(headText.toString('utf8')), v.manifest.head?.classes, 32);
    expect(head.weight).toHaveLength(8 * 32);

    const report = join(tmp, 'report.json');
    const ev = cli('evaluate', ['--bundle', bundle, '--data', FIXTURES, '--precision', 'int8', '--train-embeddings', emb, '--out', report]);
    expect(ev.stdout).toMatch(/balanced accuracy/);
    expect(ev.stdout).toMatch(/k=20/);
    const r = JSON.parse(readFileSync(report, 'utf8')) as {
      head: { n: number; accuracy: number; confusion: number[][]; perClass: unknown[] };
      knn: { results: { k: number; accuracy: number }[] };
    };
    expect(r.head.n).toBe(16);
    expect(r.head.confusion).toHaveLength(8);
    expect(r.head.confusion.flat().reduce((a, b) => a + b, 0)).toBe(16);
    expect(r.head.perClass).toHaveLength(8);
    // trained and evaluated on the same 16 crops with the same int8 encoder
    expect(r.head.accuracy).toBe(1);
    expect(r.knn.results.map((x) => x.k)).toEqual([1, 20]);
    expect(r.knn.results[0]!.accuracy).toBe(1); // each query is its own nearest neighbour

    // training again updates (not duplicates) the head entry and keeps the manifest valid
    cli('train-head', ['--embeddings', emb, '--out', bundle, '--C', '0.5', '--trained-on', 'unit test']);
    const again = validateManifest(JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')));
    expect(again.ok && again.manifest.head?.trainedOn).toBe('unit test');
  });

  it('refuses embeddings from another encoder without --force', () => {
    const other = join(tmp, 'other');
    cpSync(join(ROOT, 'public/models/test-tiny-dinov2'), other, { recursive: true });
    const m = JSON.parse(readFileSync(join(other, 'manifest.json'), 'utf8')) as { id: string };
    m.id = 'another-bundle';
    writeFileSync(join(other, 'manifest.json'), JSON.stringify(m));
    const r = spawnSync(TSX, [join(ROOT, 'tools/cli/train-head.ts'), '--embeddings', join(tmp, 'fixtures.emb'), '--out', other], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/use --force/);
  });
});
