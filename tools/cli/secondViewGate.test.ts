/**
 * A bundle with encoder.secondView whose head is replaced (train-head, calibrate-head --write) keeps the
 * head it came with as the second view's gate (encoder.secondView.gate): the new head classifies, but
 * the cells looked at twice, and so every embedding, stay those of the bundle as published. Without
 * that, a lab head trained on a bundle's embeddings would change those very embeddings once written.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHead, parseHeadJson } from '../../src/core/head.ts';
import { SECOND_VIEW_GATE_FILE, validateManifest, type BundleManifest } from '../../src/core/manifest.ts';
import { doubtfulRows } from '../../src/core/secondView.ts';
import { preprocess } from '../../src/core/preprocess.ts';
import { decodeImage, loadEncoder, readEmbeddings, runEncoderOnce } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// the built-in bundle with a second view (candidate or default, whichever it is)
const BUNDLE = join(ROOT, 'public/models/pbc-compact-cnn-v4');
const FIXTURES = join(ROOT, 'e2e/fixtures/pbc');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function cli(name: string, args: string[]): string {
  const r = spawnSync(TSX, [join(ROOT, 'tools/cli', `${name}.ts`), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${name} exited with ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stderr;
}

const readManifest = (dir: string): BundleManifest => {
  const m = validateManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  if (!m.ok) throw new Error(m.errors.join('\n'));
  return m.manifest;
};
const embed = (bundle: string, out: string): Float32Array => {
  cli('embed', ['--bundle', bundle, '--data', FIXTURES, '--out', out, '--precision', 'int8', '--threads', '1']);
  return readEmbeddings(out).embeddings;
};

describe('a second view keeps its gate when the bundle\'s head is replaced', () => {
  let dir: string;
  let bundle: string;
  let before: Float32Array;
  let original: BundleManifest;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'second-view-gate-'));
    bundle = join(dir, 'bundle');
    cpSync(BUNDLE, bundle, { recursive: true });
    original = readManifest(bundle);
    before = embed(bundle, join(dir, 'before.emb'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('train-head: the old head becomes the gate file, the embeddings do not change, and the new head would have gated other cells', async () => {
    expect(original.encoder.secondView).toBeDefined();
    expect(original.encoder.secondView!.gate).toBeUndefined();
    const headBytes = readFileSync(join(bundle, original.head!.file));
    // a strongly regularised head: unsure of most cells, so it would pick other cells than the bundle's head
    const log = cli('train-head', ['--embeddings', join(dir, 'before.emb'), '--out', bundle, '--C', '0.001', '--kfold', '0', '--no-shift-stats']);
    expect(log).toContain(`kept ${original.head!.file} as ${SECOND_VIEW_GATE_FILE}`);

    const m = readManifest(bundle);
    expect(m.head!.sha256).not.toBe(original.head!.sha256);
    expect(m.encoder.secondView).toEqual({ ...original.encoder.secondView, gate: { file: SECOND_VIEW_GATE_FILE, bytes: original.head!.bytes, sha256: original.head!.sha256 } });
    expect(readFileSync(join(bundle, SECOND_VIEW_GATE_FILE)).equals(headBytes)).toBe(true);

    const after = embed(bundle, join(dir, 'after.emb'));
    expect(after).toEqual(before);

    // the check has teeth: gated by the new head, other cells would get the second view
    const enc = await loadEncoder(bundle, { precision: 'int8', threads: 1 });
    const files = readdirSync(FIXTURES, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.jpg'));
    const s = enc.spec.size;
    const per = 3 * s * s;
    const input = new Float32Array(files.length * per);
    for (let i = 0; i < files.length; i++) preprocess(await decodeImage(join(files[i]!.parentPath, files[i]!.name)), enc.spec, input, i * per);
    const first = await runEncoderOnce(enc, input, files.length);
    await enc.session.release();
    const rows = (headFile: string): number[] => {
      const h = parseHeadJson(JSON.parse(readFileSync(join(bundle, headFile), 'utf8')));
      return doubtfulRows(applyHead(h, first, files.length), files.length, h.classes.length, m.encoder.secondView!.belowConfidence);
    };
    expect(rows(m.head!.file)).not.toEqual(rows(SECOND_VIEW_GATE_FILE));
  }, 180_000);

  it('calibrate-head --write on it leaves the gate alone, and the embeddings too', () => {
    const gate = readManifest(bundle).encoder.secondView!.gate;
    expect(gate).toBeDefined();
    cli('calibrate-head', ['--bundle', bundle, '--embeddings', join(dir, 'before.emb'), '--write']);
    const m = readManifest(bundle);
    expect(m.encoder.secondView!.gate).toEqual(gate);
    expect(embed(bundle, join(dir, 'calibrated.emb'))).toEqual(before);
  }, 120_000);
});

