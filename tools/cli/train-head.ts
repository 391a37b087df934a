/**
 * npm run train-head -- --embeddings <file.emb> --out <bundle-dir> [--C c] [--kfold 5] [--seed 0]
 *                       [--max-iter 500] [--tol 1e-4] [--no-calibrate] [--no-knn]
 *                       [--trained-on "text"] [--report report.json] [--force]
 *
 * Trains the linear-softmax head on embeddings made by `npm run embed` with this bundle's encoder,
 * with exactly the code the app's training worker runs (src/core/training/engine.ts): multinomial L2
 * logistic regression, C chosen by inner cross-validation unless --C fixes it, stratified k-fold
 * evaluation (nested) of it and of kNN (k = 1, 20), temperature scaling fitted on the out-of-fold
 * scores. Writes <bundle>/head.json (temperature folded in; the k-fold figures in its `training`
 * block) and adds/updates `head` in <bundle>/manifest.json (classes, file, bytes, sha256,
 * trainedOn). Works on an encoder-only bundle straight from the converter. The manifest is
 * re-validated after writing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyHead, headToJson } from '../../src/core/head.ts';
import { validateManifest, type BundleHeadEntry } from '../../src/core/manifest.ts';
import { accuracy, balancedAccuracy, formatReport } from '../../src/core/metrics.ts';
import { trainHeadSync, TrainingInputError, type TrainResult } from '../../src/core/training/engine.ts';
import { metricsOf } from '../../src/core/training/labHead.ts';
import { argmaxRows } from '../../src/core/training/logreg.ts';
import { writeShiftStatsOrWarn } from '../shift/bundleStats.ts';
import { CliError, cliArgs, intArg, keepGateFile, numArg, readEmbeddings, readManifest, rel, runMain, writeFileAtomic } from './lib.ts';

const USAGE = `usage: npm run train-head -- --embeddings <file.emb> --out <bundle-dir> [options]

  --embeddings <file>  training embeddings from npm run embed (same bundle)
  --out <dir>          bundle to write head.json into (its manifest.json is updated)
  --C <c>              fix the inverse L2 strength (scikit-learn's C); default: chosen by inner
                       cross-validation over 0.001 … 10
  --kfold <k>          stratified k-fold evaluation, default 5 (0: none, and no temperature scaling)
  --seed <n>           seed of the fold assignment (default 0)
  --no-calibrate       no temperature scaling
  --no-knn             skip the kNN (k = 1, 20) evaluation
  --max-iter <n>       L-BFGS iterations of the final fit (default 500)
  --tol <t>            stop when max |gradient| <= t (default 1e-4)
  --trained-on <text>  manifest head.trainedOn (default: describes the embeddings and settings)
  --report <file>      also write the whole training result (metrics, C path, messages) as JSON
  --force              accept embeddings made with another bundle id / encoder
  --no-shift-stats     do not write the shift-check reference statistics (shift.json) from these embeddings`;

/** Insert or replace `head` in the manifest object, keeping key order (new key goes after encoder). */
function withHead(manifest: Record<string, unknown>, head: BundleHeadEntry): Record<string, unknown> {
  if ('head' in manifest) return { ...manifest, head };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(manifest)) {
    out[k] = v;
    if (k === 'encoder') out.head = head;
  }
  if (!('head' in out)) out.head = head;
  return out;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function printEvaluation(r: TrainResult): void {
  const ev = r.evaluation;
  if (!ev) return;
  const s = ev.linear.spread.balancedAccuracy;
  process.stderr.write(`\n${formatReport(ev.linear.report, { title: `${ev.k}-fold cross-validation, logistic regression (nested C choice; per fold: ${ev.linear.cPerFold.join(', ')})` })}\n`);
  process.stderr.write(`balanced accuracy per fold: mean ${pct(s.mean)} ± ${pct(s.sd)} (min ${pct(s.min)}, max ${pct(s.max)})\n`);
  for (const k of ev.knn) {
    process.stderr.write(`kNN k=${String(k.k).padEnd(3)} accuracy ${pct(k.report.accuracy)}  balanced accuracy ${pct(k.report.balancedAccuracy)}  weighted F1 ${pct(k.report.weightedF1)}\n`);
  }
  if (r.calibration) {
    const c = r.calibration;
    process.stderr.write(
      `temperature ${c.temperature.toFixed(3)}${c.improves ? '' : ' (not applied)'}: out of fold, ECE ${pct(c.eceBefore)} → ${pct(c.eceAfter)}, NLL ${c.nllBefore.toFixed(4)} → ${c.nllAfter.toFixed(4)}\n`,
    );
  }
}

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      embeddings: { type: 'string' },
      out: { type: 'string' },
      C: { type: 'string' },
      kfold: { type: 'string' },
      seed: { type: 'string' },
      'no-calibrate': { type: 'boolean' },
      'no-knn': { type: 'boolean' },
      'max-iter': { type: 'string' },
      tol: { type: 'string' },
      'trained-on': { type: 'string' },
      report: { type: 'string' },
      force: { type: 'boolean' },
      'no-shift-stats': { type: 'boolean' },
    },
    USAGE,
  );
  if (!a.embeddings || !a.out) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const C = a.C === undefined ? undefined : numArg(a.C, 'C', 1);
  const folds = intArg(a.kfold, 'kfold', 5, 0);
  const seed = intArg(a.seed, 'seed', 0, 0);
  const maxIter = intArg(a['max-iter'], 'max-iter', 500);
  const tol = numArg(a.tol, 'tol', 1e-4);
  const dir = a.out;
  const manifest = readManifest(dir);
  const emb = readEmbeddings(a.embeddings);
  const { header } = emb;

  // ---- the embeddings must come from this bundle's encoder
  if (header.d !== manifest.embeddingDim) {
    throw new CliError(`embeddings are ${header.d}-dimensional but bundle ${manifest.id} produces ${manifest.embeddingDim}`);
  }
  const sameEncoder = manifest.encoder.variants.some((v) => v.sha256 === header.encoderSha256);
  if (header.bundleId !== manifest.id || !sameEncoder) {
    const msg = `embeddings were made with bundle "${header.bundleId}" (${header.encoderFile}), not with this bundle's encoder ("${manifest.id}")`;
    if (!a.force) throw new CliError(`${msg}; use --force to train anyway`);
    process.stderr.write(`warning: ${msg}\n`);
  }

  // ---- train: the training worker's code (src/core/training/engine.ts)
  const n = header.n;
  const d = header.d;
  process.stderr.write(
    `training: n=${n}, d=${d}, ${header.classes.length} classes, ${C === undefined ? 'C by inner cross-validation' : `C=${C}`}, ` +
      `${folds >= 2 ? `${folds}-fold evaluation` : 'no evaluation'}\n`,
  );
  const t0 = performance.now();
  let lastLog = -Infinity;
  let result: TrainResult;
  try {
    result = trainHeadSync(
      {
        jobId: 'cli',
        classes: header.classes,
        embeddings: emb.embeddings,
        labels: emb.labels,
        dim: d,
        options: { C, folds, seed, maxIter, tol, calibrate: !a['no-calibrate'], knn: !a['no-knn'] },
      },
      (p) => {
        const now = performance.now();
        if (now - lastLog > 2000) {
          lastLog = now;
          process.stderr.write(`  ${((now - t0) / 1000).toFixed(1).padStart(6)} s  ${p.detail}\n`);
        }
      },
    );
  } catch (e) {
    if (e instanceof TrainingInputError) throw new CliError(e.message);
    throw e;
  }
  for (const m of result.messages) process.stderr.write(`note: ${m}\n`);
  printEvaluation(result);
  const { head, linear } = result;
  const classes = head.classes;
  const train = emb.embeddings.length === result.n * d ? emb.embeddings : null;
  const pred = train ? argmaxRows(applyHead(head, train, result.n), result.n, classes.length) : null;
  const trainAcc = pred ? accuracy(result.labels, pred) : NaN;
  const trainBal = pred ? balancedAccuracy(result.labels, pred, classes.length) : NaN;
  process.stderr.write(
    `final fit at C=${linear.C}: ${linear.converged ? 'converged' : 'stopped (max-iter)'} after ${linear.iterations} iterations; ` +
      `total ${result.seconds.total.toFixed(1)} s (evaluation ${result.seconds.evaluation.toFixed(1)} s, final ${result.seconds.final.toFixed(1)} s)` +
      (pred ? `; train accuracy ${(100 * trainAcc).toFixed(2)}%, balanced ${(100 * trainBal).toFixed(2)}%` : '') +
      '\n',
  );

  // ---- head.json
  const training = {
    method: 'multinomial logistic regression, L2, L-BFGS (src/core/training), standardisation folded in',
    C: linear.C,
    cSelection: linear.selection ? { evaluated: linear.selection.evaluated, meanScores: linear.selection.meanScores, innerFolds: linear.selection.innerFolds } : null,
    iterations: linear.iterations,
    converged: linear.converged,
    loss: Number(linear.loss.toFixed(8)),
    temperature: result.temperature,
    n: result.n,
    trainAccuracy: Number.isFinite(trainAcc) ? Number(trainAcc.toFixed(6)) : null,
    trainBalancedAccuracy: Number.isFinite(trainBal) ? Number(trainBal.toFixed(6)) : null,
    kfold: metricsOf(result),
    messages: result.messages,
    embeddings: basename(a.embeddings),
    data: header.data,
    precision: header.precision,
    trainedAt: new Date().toISOString(),
  };
  const text = headToJson(head, { training });
  const headFile = 'head.json';
  const manifestPath = join(dir, 'manifest.json');
  const original = readFileSync(manifestPath, 'utf8');
  const before = await keepGateFile(dir, JSON.parse(original) as Record<string, unknown>); // before head.json is overwritten
  writeFileAtomic(join(dir, headFile), text);
  const bytes = Buffer.byteLength(text, 'utf8');
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  if (a.report) {
    const { head: _h, linear: _l, labels: _y, evaluation, ...rest } = result;
    const report = { ...rest, C: linear.C, selection: linear.selection, kfold: metricsOf(result), foldOf: evaluation ? Array.from(evaluation.foldOf) : null };
    writeFileAtomic(a.report, `${JSON.stringify(report, null, 1)}\n`);
  }

  // ---- manifest
  const trainedOn =
    a['trained-on'] ??
    `${result.n} crops from ${header.data} (${classes.length} classes), ${header.precision} embeddings, logistic regression C=${linear.C}` +
      `${result.evaluation ? `, ${result.evaluation.k}-fold balanced accuracy ${pct(result.evaluation.linear.report.balancedAccuracy)}` : ''}, ${training.trainedAt.slice(0, 10)}`;
  const updated = withHead(before, {
    type: 'linear-softmax',
    classes,
    file: headFile,
    bytes,
    sha256,
    trainedOn,
  });
  const check = validateManifest(updated);
  if (!check.ok) throw new CliError(`updated manifest would be invalid:\n  ${check.errors.join('\n  ')}`);
  writeFileAtomic(manifestPath, `${JSON.stringify(updated, null, 2)}\n`);
  // re-validate what is on disk
  const reread = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  if (!reread.ok) {
    writeFileAtomic(manifestPath, original);
    throw new CliError(`manifest invalid after writing (restored the original):\n  ${reread.errors.join('\n  ')}`);
  }
  process.stderr.write(`wrote ${rel(join(dir, headFile))} (${bytes} bytes) and updated ${rel(manifestPath)} (head: ${classes.join(', ')})\n`);

  // Shift checks (issue 13): reference statistics of the same embeddings, k-fold held-in threshold.
  if (!a['no-shift-stats']) writeShiftStatsOrWarn(dir, emb);
});
