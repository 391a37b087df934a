/**
 * Node side of the reference statistics: compute them from an embeddings file made with a bundle's
 * encoder and write shift.json + the manifest's `shift` entry into the bundle. Shared by
 * `npm run shift-stats` and `npm run train-head` (which calls it after writing the head).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleManifest, BundleShiftEntry } from '../../src/core/manifest.ts';
import { SHIFT_MANIFEST_FORMAT, SHIFT_STATS_FILE, shiftStatsToJson } from '../../src/core/shift/format.ts';
import { buildShiftStats, type BuildShiftStatsOptions, type ShiftStats } from '../../src/core/shift/stats.ts';
import { CliError, readManifest, rel, writeFileAtomic, writeManifestChecked, type EmbeddingsFile } from '../cli/lib.ts';

export type ShiftStatsCliOptions = Pick<BuildShiftStatsOptions, 'score' | 'folds' | 'thresholdQuantile' | 'sampleSize' | 'seed' | 'source'> & { force?: boolean };

/**
 * Statistics of `emb` for the bundle in `dir`. They are declared valid for every encoder variant of
 * the bundle: the converter verifies that variants agree (int8 vs fp32 cosine ≥ 0.998), and the flag
 * rate on PBC val differs by < 0.3 points between them (docs/shift-detection.md).
 */
export function statsForBundle(manifest: BundleManifest, emb: EmbeddingsFile, opts: ShiftStatsCliOptions = {}): ShiftStats {
  const { header } = emb;
  if (header.d !== manifest.embeddingDim) {
    throw new CliError(`embeddings are ${header.d}-dimensional but bundle ${manifest.id} produces ${manifest.embeddingDim}`);
  }
  const sameEncoder = manifest.encoder.variants.some((v) => v.sha256 === header.encoderSha256);
  if (!sameEncoder) {
    const msg = `embeddings were made with ${header.encoderFile} of bundle "${header.bundleId}", not with an encoder of "${manifest.id}": statistics from them would not fit`;
    if (!opts.force) throw new CliError(`${msg}; use --force to write them anyway`);
    process.stderr.write(`warning: ${msg}\n`);
  }
  const t0 = performance.now();
  const stats = buildShiftStats(emb.embeddings, header.n, header.d, emb.labels, header.classes, {
    ...opts,
    bundleId: manifest.id,
    encoderSha256: manifest.encoder.variants.map((v) => v.sha256),
    source: opts.source ?? `${header.n} cells of ${header.data} (${header.precision} embeddings of ${header.encoderFile})`,
  });
  process.stderr.write(
    `shift statistics (${stats.score}): ${stats.classes.length} classes, d=${stats.embeddingDim}, shrinkage ${stats.shrinkage.toExponential(2)}, ` +
      `threshold ${stats.threshold.toFixed(3)} (${stats.thresholdQuantile} quantile of ${stats.heldIn.n} held-in scores, ${stats.heldIn.folds}-fold), ` +
      `expected flag rate ${(100 * stats.expectedFlagRate).toFixed(2)} % — ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return stats;
}

/** Insert or replace `key` in a manifest object, keeping key order (a new key goes after `after`). */
function withKey(manifest: Record<string, unknown>, key: string, value: unknown, after: string[]): Record<string, unknown> {
  if (key in manifest) return { ...manifest, [key]: value };
  const out: Record<string, unknown> = {};
  const anchor = after.filter((k) => k in manifest).pop();
  for (const [k, v] of Object.entries(manifest)) {
    out[k] = v;
    if (k === anchor) out[key] = value;
  }
  if (!(key in out)) out[key] = value;
  return out;
}

/** Write shift.json and the manifest's `shift` entry (manifest validated before and after writing). */
export function writeShiftStats(dir: string, stats: ShiftStats): BundleShiftEntry {
  const text = shiftStatsToJson(stats);
  writeFileAtomic(join(dir, SHIFT_STATS_FILE), text);
  const entry: BundleShiftEntry = {
    format: SHIFT_MANIFEST_FORMAT,
    file: SHIFT_STATS_FILE,
    bytes: Buffer.byteLength(text, 'utf8'),
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
  };
  const original = readFileSync(join(dir, 'manifest.json'), 'utf8');
  writeManifestChecked(dir, original, withKey(JSON.parse(original) as Record<string, unknown>, 'shift', entry, ['encoder', 'head']));
  process.stderr.write(`wrote ${rel(join(dir, SHIFT_STATS_FILE))} (${entry.bytes} bytes) and the manifest's shift entry\n`);
  return entry;
}

/**
 * What `npm run train-head` calls after writing the head: statistics from the same embeddings. A
 * problem (e.g. fewer than 20 cells) is a warning, not a failed head: the bundle then has shift
 * checks off, and says so in the app.
 */
export function writeShiftStatsOrWarn(dir: string, emb: EmbeddingsFile): void {
  try {
    // never forced: statistics of another encoder's embeddings would mark the wrong cells
    writeShiftStats(dir, statsForBundle(readManifest(dir), emb));
  } catch (e) {
    if (!(e instanceof Error) || !(e instanceof CliError || e.name === 'ShiftStatsError')) throw e;
    process.stderr.write(`warning: shift statistics not written (${e.message}); the app runs this bundle with shift checks off\n`);
  }
}
