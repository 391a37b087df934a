/**
 * The e2e shift fixtures through the Node pipeline (same preprocessing and the same encoder file as
 * the app's WASM backend): the default model's shift statistics must flag the shifted crops
 * (e2e/fixtures/shifted, made by make-shifted-fixtures.ts) as a batch, and not the PBC originals.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeCaseShift } from '../../src/core/shift/batch.ts';
import { readShiftStatsForBundle } from '../../src/core/shift/format.ts';
import { createShiftScorer } from '../../src/core/shift/score.ts';
import { embedFiles, loadEncoder, readManifest } from '../cli/lib.ts';

const ROOT = join(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'public/models/pbc-compact-cnn-v1');
const PBC = join(ROOT, 'e2e/fixtures/pbc');
const SHIFTED = join(ROOT, 'e2e/fixtures/shifted');

const jpgs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => ({ file: f, path: join(dir, f) }));

describe('shift fixtures, default bundle, Node pipeline', () => {
  it('flags the shifted crops as a batch and not the PBC originals', async () => {
    const manifest = readManifest(BUNDLE);
    const enc = await loadEncoder(BUNDLE, { precision: 'int8', threads: 1 });
    const stats = readShiftStatsForBundle(readFileSync(join(BUNDLE, manifest.shift!.file)), manifest, enc.variant.sha256);
    const scorer = createShiftScorer(stats);
    const flagsOf = async (files: { file: string; path: string }[]) => {
      const r = await embedFiles(enc, files, { batch: 16 });
      expect(r.failures).toEqual([]);
      return scorer.assess(r.embeddings, files.length).map((a) => a.ok && a.flagged);
    };
    const pbc = await flagsOf(jpgs(PBC));
    const folders = readdirSync(SHIFTED, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const shifted: { folder: string; flagged: boolean }[] = [];
    const perFolder: Record<string, number> = {};
    for (const folder of folders) {
      const flags = await flagsOf(jpgs(join(SHIFTED, folder)));
      perFolder[folder] = flags.filter(Boolean).length / flags.length;
      for (const flagged of flags) shifted.push({ folder, flagged });
    }
    console.log(`PBC fixtures flagged: ${pbc.filter(Boolean).length}/${pbc.length}; shifted: ${JSON.stringify(perFolder)}`);

    expect(pbc.filter(Boolean).length).toBeLessThanOrEqual(1);
    const quiet = summarizeCaseShift(pbc.map((flagged) => ({ folder: '', flagged })), stats.expectedFlagRate);
    expect(quiet.banner).toBeNull();
    const loud = summarizeCaseShift(shifted, stats.expectedFlagRate);
    expect(loud.case.verdict).toBe('shifted');
    expect(loud.banner).toContain("unlike the model's training data");
    for (const f of folders) expect(perFolder[f]!).toBeGreaterThanOrEqual(0.5);
    // the originals and the shifted crops dropped together: the case is flagged too
    const mixed = summarizeCaseShift([...pbc.map((flagged) => ({ folder: 'pbc', flagged })), ...shifted], stats.expectedFlagRate);
    expect(mixed.banner).not.toBeNull();
    expect(mixed.folders.find((f) => f.folder === 'pbc')!.verdict).not.toBe('shifted');
  });
});
