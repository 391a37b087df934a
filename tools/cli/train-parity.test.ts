/**
 * CLI/browser parity: the training engine (what workers/training.worker.ts runs, through the same
 * cooperative runSteps path) and `npm run train-head` (spawned with tsx) on the same committed
 * fixture embeddings give the same head: max |Δweight| ≤ 1e-4 (issue 12). Both run the default
 * procedure: C by inner cross-validation, 5-fold evaluation, temperature scaling.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHeadJson } from '../../src/core/head.ts';
import { decodeEmbeddingsFile } from '../../src/core/training/embeddingsFile.ts';
import { TrainingEngine } from '../../src/core/training/engine.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'src/core/training/__fixtures__/train.emb');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

describe('train-head (CLI) = training engine (worker)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dinobloom-parity-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives the same weights (max |Δ| ≤ 1e-4) and the same k-fold figures', async () => {
    const f = decodeEmbeddingsFile(new Uint8Array(readFileSync(FIXTURE)));
    const engine = new TrainingEngine();
    const inBrowser = await engine.train({ jobId: 'parity', classes: f.header.classes, embeddings: f.embeddings.slice(), labels: f.labels.slice(), dim: f.header.d });

    // an encoder-only bundle of the fixture's dimension (the tiny test bundle is 32-d, as the fixture)
    const bundle = join(tmp, 'bundle');
    cpSync(join(ROOT, 'public/models/test-tiny-dinov2'), bundle, { recursive: true });
    const m = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(m.embeddingDim).toBe(f.header.d);
    delete m.head;
    writeFileSync(join(bundle, 'manifest.json'), JSON.stringify(m, null, 2));
    const report = join(tmp, 'report.json');
    const r = spawnSync(TSX, [join(ROOT, 'tools/cli/train-head.ts'), '--embeddings', FIXTURE, '--out', bundle, '--force', '--report', report], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/5-fold cross-validation, logistic regression/);
    expect(r.stderr).toMatch(/kNN k=20/);
    const cli = parseHeadJson(JSON.parse(readFileSync(join(bundle, 'head.json'), 'utf8')), f.header.classes, f.header.d);

    let maxW = 0;
    for (let i = 0; i < cli.weight.length; i++) maxW = Math.max(maxW, Math.abs(cli.weight[i]! - inBrowser.head.weight[i]!));
    let maxB = 0;
    for (let i = 0; i < cli.bias.length; i++) maxB = Math.max(maxB, Math.abs(cli.bias[i]! - inBrowser.head.bias[i]!));
    expect(maxW).toBeLessThanOrEqual(1e-4);
    expect(maxB).toBeLessThanOrEqual(1e-4);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { C: number; temperature: number; kfold: { balancedAccuracy: number; cPerFold: number[] } };
    expect(rep.C).toBe(inBrowser.linear.C);
    expect(rep.temperature).toBe(inBrowser.temperature);
    expect(rep.kfold.balancedAccuracy).toBe(inBrowser.evaluation!.linear.report.balancedAccuracy);
    expect(rep.kfold.cPerFold).toEqual(inBrowser.evaluation!.linear.cPerFold);
  });
});
