/**
 * calibrate-head smoke test: the default bundle's head (a temp copy of manifest.json + head.json)
 * scaled on embeddings of the 16 fixture crops, written, read back, and re-run on the written head.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHeadJson } from '../../src/core/head.ts';
import { validateManifest } from '../../src/core/manifest.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'public/models/pbc-compact-cnn-v1');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function cli(name: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(TSX, [join(ROOT, 'tools/cli', `${name}.ts`), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${name} exited with ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('npm run calibrate-head', () => {
  let dir: string;
  let emb: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'calibrate-head-'));
    for (const f of ['manifest.json', 'head.json']) copyFileSync(join(BUNDLE, f), join(dir, f));
    emb = join(dir, 'fixtures.emb');
    cli('embed', ['--bundle', BUNDLE, '--data', join(ROOT, 'e2e/fixtures/pbc'), '--out', emb, '--precision', 'int8', '--threads', '1']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('folds T into head.json, updates the manifest entry, and reproduces its figures on a re-run', () => {
    const headText0 = readFileSync(join(dir, 'head.json'), 'utf8');
    const json0 = JSON.parse(headText0) as { calibration?: { temperature: number } };
    const T0 = json0.calibration?.temperature ?? 1;
    const before = parseHeadJson(json0);

    const first = cli('calibrate-head', ['--bundle', dir, '--embeddings', emb, '--eval', emb, '--seed', '3', '--write']);
    const T = Number(/^T = ([\d.]+) fitted on 8 cells/m.exec(first.stdout)?.[1]);
    expect(T).toBeGreaterThan(0);
    expect(first.stdout).toMatch(/held-out half of fixtures\.emb: n 8, accuracy/);
    expect(first.stdout).toMatch(/fixtures\.emb: n 16, accuracy/);

    const text = readFileSync(join(dir, 'head.json'), 'utf8');
    const json = JSON.parse(text) as { calibration: { temperature: number; heldOutEce: { n: number } } };
    const after = parseHeadJson(json);
    expect(json.calibration.heldOutEce.n).toBe(8);
    expect(Math.abs(json.calibration.temperature - T)).toBeLessThan(1e-4);
    // weight / (T / T0) of the head as it was: the head as trained divided by the new T
    const s = json.calibration.temperature / T0;
    for (let i = 0; i < after.weight.length; i += 97) expect(after.weight[i]).toBeCloseTo(before.weight[i]! / s, 6);
    expect(after.bias[0]).toBeCloseTo(before.bias[0]! / s, 6);

    const m = validateManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    if (!m.ok) throw new Error(m.errors.join('\n'));
    expect(m.manifest.head!.bytes).toBe(Buffer.byteLength(text));
    expect(m.manifest.head!.sha256).toBe(createHash('sha256').update(text).digest('hex'));

    // the written head records its T: a re-run measures from the head as trained, same T and figures
    const again = cli('calibrate-head', ['--bundle', dir, '--embeddings', emb, '--eval', emb, '--seed', '3']);
    expect(again.stderr).toMatch(/already scaled by T = /);
    expect(again.stdout).toBe(first.stdout);
  });
});
