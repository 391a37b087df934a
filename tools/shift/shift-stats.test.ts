/**
 * npm run shift-stats and train-head's statistics on a temp copy of the tiny test bundle, with
 * synthetic embeddings labelled as made by its encoder (no ONNX run needed): the file and manifest
 * entry are written and valid, and embeddings of another encoder or dimension are refused.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateManifest, type BundleManifest } from '../../src/core/manifest.ts';
import { readShiftStatsForBundle } from '../../src/core/shift/format.ts';
import { mulberry32 } from '../../src/core/shift/random.ts';
import { encodeEmbeddings, type EmbeddingHeader } from '../cli/lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const run = (script: string, args: string[]) => spawnSync(TSX, [join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

let tmp = '';
let manifest: BundleManifest;

function embeddingsFile(name: string, n: number, d: number, sha: string): string {
  const rand = mulberry32(n + d);
  const classes = ['blast', 'lymphocyte', 'neutrophil'];
  const header: EmbeddingHeader = {
    format: 'dinobloom-embeddings', version: 1, n, d, dtype: 'float32', labelDtype: 'int32', classes,
    files: Array.from({ length: n }, (_, i) => `${classes[i % 3]}/${i}.jpg`), bundleId: manifest.id, bundleVersion: manifest.version,
    precision: 'int8', encoderFile: 'encoder.int8.onnx', encoderSha256: sha, inputSize: 224, data: 'synthetic', createdAt: 'now',
  };
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const embeddings = Float32Array.from({ length: n * d }, (_, i) => rand() + 3 * labels[Math.floor(i / d)]! * ((i % d) % 3 === 0 ? 1 : 0));
  const path = join(tmp, name);
  writeFileSync(path, encodeEmbeddings({ header, embeddings, labels }));
  return path;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dinobloom-shift-'));
  cpSync(join(ROOT, 'public/models/test-tiny-dinov2'), join(tmp, 'bundle'), { recursive: true });
  manifest = JSON.parse(readFileSync(join(tmp, 'bundle/manifest.json'), 'utf8')) as BundleManifest;
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run shift-stats', () => {
  it('writes shift.json and a valid manifest entry that fit the bundle', () => {
    const bundle = join(tmp, 'bundle');
    const emb = embeddingsFile('train.emb', 120, manifest.embeddingDim, manifest.encoder.variants[0]!.sha256);
    const r = run('tools/shift/shift-stats.ts', ['--bundle', bundle, '--embeddings', emb, '--sample', '30']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/threshold [\d.]+ \(0\.99 quantile of 120 held-in scores, 5-fold\)/);
    const m = validateManifest(JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')));
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.manifest.shift).toMatchObject({ format: 'dinobloom-shift-stats-v1', file: 'shift.json' });
    const bytes = readFileSync(join(bundle, 'shift.json'));
    expect(bytes.length).toBe(m.manifest.shift!.bytes);
    const stats = readShiftStatsForBundle(bytes, m.manifest);
    expect(stats.encoderSha256.sort()).toEqual(m.manifest.encoder.variants.map((v) => v.sha256).sort());
    expect(stats.sample.labels.length).toBe(30);
    expect(Object.keys(JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as object).indexOf('shift')).toBeGreaterThan(0);
  });

  it('refuses embeddings of another encoder or dimension', () => {
    const bundle = join(tmp, 'bundle');
    const other = run('tools/shift/shift-stats.ts', ['--bundle', bundle, '--embeddings', embeddingsFile('other.emb', 60, manifest.embeddingDim, 'f'.repeat(64))]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/not with an encoder of "test-tiny-dinov2".*use --force/);
    const dim = run('tools/shift/shift-stats.ts', ['--bundle', bundle, '--embeddings', embeddingsFile('dim.emb', 60, manifest.embeddingDim + 1, manifest.encoder.variants[0]!.sha256)]);
    expect(dim.status).toBe(1);
    expect(dim.stderr).toMatch(/embeddings are \d+-dimensional but bundle test-tiny-dinov2 produces \d+/);
  });

  it('train-head writes the statistics from its embeddings, and warns instead of failing when there are too few', () => {
    const bundle = join(tmp, 'bundle2');
    cpSync(join(ROOT, 'public/models/test-tiny-dinov2'), bundle, { recursive: true });
    const sha = manifest.encoder.variants[0]!.sha256;
    const few = run('tools/cli/train-head.ts', ['--embeddings', embeddingsFile('few.emb', 12, manifest.embeddingDim, sha), '--out', bundle, '--max-iter', '50']);
    expect(few.status, few.stderr).toBe(0);
    expect(few.stderr).toMatch(/warning: shift statistics not written \(shift statistics need at least 20 labelled cells/);
    const ok = run('tools/cli/train-head.ts', ['--embeddings', embeddingsFile('many.emb', 90, manifest.embeddingDim, sha), '--out', bundle, '--max-iter', '50']);
    expect(ok.status, ok.stderr).toBe(0);
    const m = validateManifest(JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')));
    expect(m.ok && m.manifest.shift?.file).toBe('shift.json');
  });
});
