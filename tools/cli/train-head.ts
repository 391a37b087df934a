/**
 * npm run train-head -- --embeddings <file.emb> --out <bundle-dir> [--C 1.0] [--max-iter 500]
 *                       [--tol 1e-4] [--trained-on "text"] [--force]
 *
 * Trains the linear-softmax head (multinomial L2 logistic regression, src/core/logreg.ts) on
 * embeddings made by `npm run embed` with this bundle's encoder, writes <bundle>/head.json and
 * adds/updates `head` in <bundle>/manifest.json (classes, file, bytes, sha256, trainedOn). Works on
 * an encoder-only bundle straight from the converter. The manifest is re-validated after writing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyHead, headToJson } from '../../src/core/head.ts';
import { trainLogisticRegression } from '../../src/core/logreg.ts';
import { validateManifest, type BundleHeadEntry } from '../../src/core/manifest.ts';
import { accuracy, balancedAccuracy } from '../../src/core/metrics.ts';
import { writeShiftStatsOrWarn } from '../shift/bundleStats.ts';
import { CliError, cliArgs, intArg, numArg, readEmbeddings, readManifest, rel, runMain, writeFileAtomic } from './lib.ts';

const USAGE = `usage: npm run train-head -- --embeddings <file.emb> --out <bundle-dir> [options]

  --embeddings <file>  training embeddings from npm run embed (same bundle)
  --out <dir>          bundle to write head.json into (its manifest.json is updated)
  --C <c>              inverse L2 strength, as scikit-learn's LogisticRegression (default 1.0)
  --max-iter <n>       L-BFGS iterations (default 500)
  --tol <t>            stop when max |gradient| <= t (default 1e-4)
  --trained-on <text>  manifest head.trainedOn (default: describes the embeddings and settings)
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

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      embeddings: { type: 'string' },
      out: { type: 'string' },
      C: { type: 'string' },
      'max-iter': { type: 'string' },
      tol: { type: 'string' },
      'trained-on': { type: 'string' },
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
  const C = numArg(a.C, 'C', 1);
  const maxIter = intArg(a['max-iter'], 'max-iter', 500);
  const tol = numArg(a.tol, 'tol', 1e-4);
  const dir = a.out;
  const manifest = readManifest(dir);
  const emb = readEmbeddings(a.embeddings);
  const { header } = emb;

  if (header.d !== manifest.embeddingDim) {
    throw new CliError(`embeddings are ${header.d}-dimensional but bundle ${manifest.id} produces ${manifest.embeddingDim}`);
  }
  const sameEncoder = manifest.encoder.variants.some((v) => v.sha256 === header.encoderSha256);
  if (header.bundleId !== manifest.id || !sameEncoder) {
    const msg = `embeddings were made with bundle "${header.bundleId}" (${header.encoderFile}), not with this bundle's encoder ("${manifest.id}")`;
    if (!a.force) throw new CliError(`${msg}; use --force to train anyway`);
    process.stderr.write(`warning: ${msg}\n`);
  }

  // drop classes without samples (their bias would run off to -infinity)
  const counts = header.classes.map((_, c) => emb.labels.filter((l) => l === c).length);
  const keep = header.classes.map((_, c) => c).filter((c) => counts[c]! > 0);
  if (keep.length < 2) throw new CliError(`need samples of at least 2 classes, have ${keep.length}`);
  const dropped = header.classes.filter((_, c) => counts[c] === 0);
  if (dropped.length) process.stderr.write(`warning: no samples for ${dropped.join(', ')}: left out of the head\n`);
  const classes = keep.map((c) => header.classes[c]!);
  const remap = new Int32Array(header.classes.length).fill(-1);
  keep.forEach((c, i) => (remap[c] = i));
  const y = Int32Array.from(emb.labels, (l) => remap[l]!);
  const n = header.n;
  const d = header.d;

  process.stderr.write(`training logistic regression: n=${n}, d=${d}, ${classes.length} classes, C=${C}, max-iter=${maxIter}\n`);
  const t0 = performance.now();
  let lastLog = 0;
  const res = trainLogisticRegression(emb.embeddings, n, d, y, classes.length, {
    C,
    maxIter,
    tol,
    onProgress: (iter, loss) => {
      const now = performance.now();
      if (now - lastLog > 2000 || iter === 1) {
        lastLog = now;
        process.stderr.write(`  iter ${String(iter).padStart(4)}  loss ${loss.toFixed(6)}  ${((now - t0) / 1000).toFixed(1)} s\n`);
      }
    },
  });
  const secs = (performance.now() - t0) / 1000;
  const head = { classes, inputDim: d, weight: res.weight, bias: res.bias };
  const probs = applyHead(head, emb.embeddings, n);
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes.length; c++) if (probs[i * classes.length + c]! > probs[i * classes.length + best]!) best = c;
    pred[i] = best;
  }
  const trainAcc = accuracy(y, pred);
  const trainBal = balancedAccuracy(y, pred, classes.length);
  process.stderr.write(
    `${res.converged ? 'converged' : 'stopped (max-iter)'} after ${res.iterations} iterations in ${secs.toFixed(1)} s; ` +
      `loss ${res.loss.toFixed(6)}; train accuracy ${(100 * trainAcc).toFixed(2)}%, balanced ${(100 * trainBal).toFixed(2)}%\n`,
  );

  const training = {
    method: 'multinomial logistic regression, L2, L-BFGS (src/core/logreg.ts), standardisation folded in',
    C,
    iterations: res.iterations,
    converged: res.converged,
    loss: Number(res.loss.toFixed(8)),
    n,
    trainAccuracy: Number(trainAcc.toFixed(6)),
    trainBalancedAccuracy: Number(trainBal.toFixed(6)),
    embeddings: basename(a.embeddings),
    data: header.data,
    precision: header.precision,
    trainedAt: new Date().toISOString(),
  };
  const text = headToJson(head, { training });
  const headFile = 'head.json';
  writeFileAtomic(join(dir, headFile), text);
  const bytes = Buffer.byteLength(text, 'utf8');
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');

  const trainedOn =
    a['trained-on'] ??
    `${n} crops from ${header.data} (${classes.length} classes), ${header.precision} embeddings, logistic regression C=${C}, ${training.trainedAt.slice(0, 10)}`;
  const manifestPath = join(dir, 'manifest.json');
  const original = readFileSync(manifestPath, 'utf8');
  const updated = withHead(JSON.parse(original) as Record<string, unknown>, {
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
