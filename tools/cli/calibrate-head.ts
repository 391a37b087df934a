/**
 * npm run calibrate-head -- --bundle <dir> --embeddings <fit.emb> [--eval <a.emb> …] [--seed 1]
 *                           [--write] [--out report.json]
 *
 * Temperature-scales a bundle's own linear head on held-in cells it was not trained on
 * (src/core/training/headCalibration.ts over calibration.ts): --embeddings (from `npm run embed`
 * with this bundle's encoder) is split into seeded, class-stratified halves; T is fitted on one half
 * and ECE (15 equal-width bins), NLL, accuracy and the Unidentified share (the bundle's
 * unidentifiedThreshold) are reported for the other half before and after, and for every --eval
 * set (measured only, never fitted on; cells of classes the head lacks are left out, the
 * probabilities stay over all the head's classes).
 *
 * A head.json that is already scaled carries a `calibration` block with its T: the figures are
 * then computed from the head as trained (logits × T), so re-running reproduces them, and --write
 * replaces the old T instead of stacking a second one. --write folds T into head.json (weight / T,
 * bias / T: still linear-softmax-v1) and updates the manifest's head entry (bytes, sha256).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { headLogits, headToJson, type LinearHead } from '../../src/core/head.ts';
import type { BundleManifest } from '../../src/core/manifest.ts';
import { foldTemperature } from '../../src/core/training/calibration.ts';
import { fitHeadTemperature, probabilityFigures, type ProbabilityFigures } from '../../src/core/training/headCalibration.ts';
import {
  CliError,
  cliArgs,
  intArg,
  keepGateFile,
  loadHead,
  readEmbeddings,
  readManifest,
  rel,
  runMain,
  writeFileAtomic,
  writeManifestChecked,
  type EmbeddingsFile,
} from './lib.ts';

const USAGE = `usage: npm run calibrate-head -- --bundle <dir> --embeddings <fit.emb> [options]

  --bundle <dir>       bundle whose head.json is scaled
  --embeddings <file>  held-in labelled embeddings (npm run embed, this bundle's encoder): T is
                       fitted on one stratified half, the figures measured on the other
  --eval <file>        an external set to measure before/after (repeatable; never fitted on)
  --seed <n>           seed of the stratified halves (default 1)
  --write              fold T into head.json and update the manifest's head entry
  --out <file>         write all figures as JSON`;

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The head's labels for a set (cells of other classes dropped) and the logits of the head as trained. */
function labelledLogits(f: EmbeddingsFile, head: LinearHead, manifest: BundleManifest, trainedScale: number, what: string): { logits: Float64Array; y: Int32Array; dropped: string[]; source: string } {
  const { header } = f;
  if (header.d !== head.inputDim) throw new CliError(`${what} are ${header.d}-dimensional but the head reads ${head.inputDim}`);
  if (!manifest.encoder.variants.some((v) => v.sha256 === header.encoderSha256)) {
    throw new CliError(`${what} were made with ${header.encoderFile} of bundle "${header.bundleId}", not with an encoder of "${manifest.id}"`);
  }
  const toHead = header.classes.map((c) => head.classes.indexOf(c));
  const keep: number[] = [];
  f.labels.forEach((l, i) => {
    if (toHead[l]! >= 0) keep.push(i);
  });
  const d = header.d;
  const X = new Float32Array(keep.length * d);
  keep.forEach((i, r) => X.set(f.embeddings.subarray(i * d, (i + 1) * d), r * d));
  const logits = headLogits(head, X, keep.length);
  if (trainedScale !== 1) for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * trainedScale;
  return {
    logits,
    y: Int32Array.from(keep, (i) => toHead[f.labels[i]!]!),
    dropped: header.classes.filter((_, c) => toHead[c]! < 0),
    source: `${header.data} (${header.encoderFile})`,
  };
}

function line(name: string, b: ProbabilityFigures, a: ProbabilityFigures): string {
  return (
    `${name}: n ${b.n}, accuracy ${pct(b.accuracy)}\n` +
    `  ECE ${pct(b.ece)} → ${pct(a.ece)}   NLL ${b.nll.toFixed(4)} → ${a.nll.toFixed(4)}   mean confidence ${pct(b.meanConfidence)} → ${pct(a.meanConfidence)}   ` +
    `Unidentified ${pct(b.unidentifiedShare)} → ${pct(a.unidentifiedShare)}`
  );
}

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      bundle: { type: 'string' },
      embeddings: { type: 'string' },
      eval: { type: 'string', multiple: true },
      seed: { type: 'string' },
      write: { type: 'boolean' },
      out: { type: 'string' },
    },
    USAGE,
  );
  if (!a.bundle || !a.embeddings) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const seed = intArg(a.seed, 'seed', 1, 0);
  const manifest = readManifest(a.bundle);
  const head = await loadHead(a.bundle, manifest); // sha256-checked against the manifest
  const headPath = join(a.bundle, manifest.head!.file);
  const headJson = JSON.parse(readFileSync(headPath, 'utf8')) as Record<string, unknown>;
  const previous = headJson.calibration as { temperature?: unknown } | undefined;
  const previousT = typeof previous?.temperature === 'number' && previous.temperature > 0 ? previous.temperature : 1;
  if (previousT !== 1) process.stderr.write(`note: ${manifest.head!.file} is already scaled by T = ${previousT}; figures are for the head as trained (T = 1) and the new T\n`);
  const threshold = manifest.unidentifiedThreshold;
  const K = head.classes.length;

  const fitSet = labelledLogits(readEmbeddings(a.embeddings), head, manifest, previousT, 'held-in embeddings');
  if (fitSet.dropped.length) throw new CliError(`the held-in set has classes the head lacks (${fitSet.dropped.join(', ')}): T must be fitted on the head's own classes`);
  const fit = fitHeadTemperature(fitSet.logits, fitSet.y, K, { seed, threshold });
  const T = fit.temperature;
  const out: string[] = [
    `T = ${T.toFixed(4)} fitted on ${fit.nFit} cells of ${basename(a.embeddings)} (stratified half, seed ${seed}); unidentifiedThreshold ${threshold}`,
    line(`held-out half of ${basename(a.embeddings)}`, fit.before, fit.after),
  ];
  const evals: Record<string, { before: ProbabilityFigures; after: ProbabilityFigures; leftOut: string[] }> = {};
  for (const file of a.eval ?? []) {
    const s = labelledLogits(readEmbeddings(file), head, manifest, previousT, `evaluation embeddings ${basename(file)}`);
    const before = probabilityFigures(s.logits, s.y, K, 1, threshold);
    const after = probabilityFigures(s.logits, s.y, K, T, threshold);
    evals[basename(file)] = { before, after, leftOut: s.dropped };
    out.push(line(`${basename(file)}${s.dropped.length ? ` (classes the head lacks left out: ${s.dropped.join(', ')})` : ''}`, before, after));
  }
  process.stdout.write(`${out.join('\n')}\n`);

  if (a.write) {
    const folded = foldTemperature(head.weight, head.bias, T / previousT);
    const { format: _f, classes: _c, inputDim: _d, weight: _w, bias: _b, calibration: _old, ...extra } = headJson;
    const calibration = {
      method: 'temperature scaling (Guo et al. 2017), T folded into weight and bias (src/core/training/calibration.ts)',
      temperature: T,
      fittedOn: `${fit.nFit} cells: stratified half (seed ${seed}) of the ${fitSet.y.length} cells of ${fitSet.source}`,
      heldOutEce: { before: fit.before.ece, after: fit.after.ece, n: fit.after.n, bins: 15 },
    };
    const text = headToJson({ ...head, ...folded }, { ...extra, calibration });
    const original = readFileSync(join(a.bundle, 'manifest.json'), 'utf8');
    const m = await keepGateFile(a.bundle, JSON.parse(original) as Record<string, unknown>); // before head.json is overwritten
    writeFileAtomic(headPath, text);
    const entry = {
      ...(m.head as Record<string, unknown>),
      bytes: Buffer.byteLength(text, 'utf8'),
      sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    };
    writeManifestChecked(a.bundle, original, { ...m, head: entry });
    await loadHead(a.bundle, readManifest(a.bundle)); // read back: parses and matches its sha256
    process.stderr.write(`wrote ${rel(headPath)} (T = ${T.toFixed(4)} folded in, ${entry.bytes} bytes) and the manifest's head entry\n`);
  }
  if (a.out) {
    writeFileAtomic(a.out, `${JSON.stringify({ bundle: manifest.id, seed, threshold, temperature: T, nFit: fit.nFit, heldOut: { before: fit.before, after: fit.after }, eval: evals }, null, 1)}\n`);
    process.stderr.write(`wrote ${rel(a.out)}\n`);
  }
});
