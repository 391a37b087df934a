/**
 * npm run shift-stats -- --bundle <dir> --embeddings <train.emb> [--score mahalanobis] [--quantile 0.99]
 *                        [--folds 5] [--sample 400] [--seed 13] [--source "text"] [--force]
 *
 * Computes the reference statistics for the shift checks (src/core/shift) from labelled embeddings
 * made by `npm run embed` with this bundle's encoder — the cells the model was trained on — and
 * writes <bundle>/shift.json plus the manifest's `shift` entry. The threshold is the quantile of
 * held-in scores (k-fold over these cells), so keep validation cells out of them: they are what the
 * flag rate is then measured on (npm run shift-measure).
 */
import { parseShiftStatsText } from '../../src/core/shift/format.ts';
import { SHIFT_SCORE_KINDS, type ShiftScoreKind } from '../../src/core/shift/stats.ts';
import { CliError, cliArgs, intArg, numArg, readEmbeddings, readManifest, runMain } from '../cli/lib.ts';
import { statsForBundle, writeShiftStats } from './bundleStats.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const USAGE = `usage: npm run shift-stats -- --bundle <dir> --embeddings <train.emb> [options]

  --bundle <dir>        bundle to write shift.json into (its manifest.json gets the shift entry)
  --embeddings <file>   labelled training embeddings from npm run embed with this bundle
  --score <kind>        ${SHIFT_SCORE_KINDS.join(' | ')} (default mahalanobis)
  --quantile <q>        threshold = this quantile of held-in scores (default 0.99)
  --folds <k>           k-fold held-in scoring (default 5)
  --sample <n>          reference cells kept for the embedding map (default 400)
  --seed <n>            folds and sample (default 13)
  --source <text>       what the embeddings are (default: from the embeddings file)
  --force               accept embeddings made with another encoder`;

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      bundle: { type: 'string' }, embeddings: { type: 'string' }, score: { type: 'string' }, quantile: { type: 'string' }, folds: { type: 'string' },
      sample: { type: 'string' }, seed: { type: 'string' }, source: { type: 'string' }, force: { type: 'boolean' },
    },
    USAGE,
  );
  if (!a.bundle || !a.embeddings) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (a.score && !SHIFT_SCORE_KINDS.includes(a.score as ShiftScoreKind)) throw new CliError(`--score must be one of ${SHIFT_SCORE_KINDS.join(', ')}`);
  const q = numArg(a.quantile, 'quantile', 0.99);
  if (!(q < 1)) throw new CliError('--quantile must be below 1');
  const manifest = readManifest(a.bundle);
  const stats = statsForBundle(manifest, readEmbeddings(a.embeddings), {
    score: a.score as ShiftScoreKind | undefined,
    thresholdQuantile: q,
    folds: intArg(a.folds, 'folds', 5, 2),
    sampleSize: intArg(a.sample, 'sample', 400, 0),
    seed: intArg(a.seed, 'seed', 13, 0),
    source: a.source,
    force: a.force,
  });
  writeShiftStats(a.bundle, stats);
  // read back what was written: it must parse and fit the bundle
  parseShiftStatsText(readFileSync(join(a.bundle, 'shift.json')));
});
