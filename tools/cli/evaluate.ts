/**
 * npm run evaluate -- --bundle <dir> (--data <folder> | --embeddings <file.emb>)
 *                     [--precision int8|fp32|fp16] [--batch 16] [--limit N]
 *                     [--train-embeddings <file.emb> | --train-data <folder>]
 *                     [--save-embeddings <file.emb>] [--out report.json] [--markdown]
 *
 * Embeds the evaluation data (or reads embeddings), applies the bundle's head and prints accuracy,
 * balanced accuracy, weighted F1, per-class precision/recall/F1 and the confusion matrix. With
 * training embeddings it also reports kNN (k = 1 and k = 20, Euclidean) accuracy and balanced
 * accuracy, the DinoBloom paper's other probe. Everything is written to --out as JSON.
 */
import { basename } from 'node:path';
import { applyHead, UNIDENTIFIED } from '../../src/core/head.ts';
import { knnNeighbors, knnVote } from '../../src/core/training/knn.ts';
import type { BundleManifest } from '../../src/core/manifest.ts';
import { classificationReport, formatReport, type ClassificationReport } from '../../src/core/metrics.ts';
import {
  CliError,
  cliArgs,
  embedDataset,
  intArg,
  loadEncoder,
  loadHead,
  precisionArg,
  readEmbeddings,
  readManifest,
  rel,
  runMain,
  writeEmbeddings,
  writeFileAtomic,
  type EmbeddingsFile,
  type LoadedEncoder,
} from './lib.ts';

const USAGE = `usage: npm run evaluate -- --bundle <dir> (--data <folder> | --embeddings <file>) [options]

  --bundle <dir>             model bundle (its head is evaluated when it has one)
  --data <folder>            labelled evaluation images (<class>/<image> or <class>__<name>)
  --embeddings <file>        ... or evaluation embeddings from npm run embed
  --train-embeddings <file>  training embeddings for the kNN probe
  --train-data <folder>      ... or training images to embed for the kNN probe
  --precision <p>            encoder variant when embedding: int8 | fp32 | fp16 (default int8, else fp32)
  --batch <n>                inference batch (default 16)
  --limit <n>                at most n evaluation images (round-robin over classes)
  --threads <n>              onnxruntime intra-op threads
  --save-embeddings <file>   also save the evaluation embeddings
  --out <file>               write the full report as JSON
  --markdown                 print markdown tables`;

const KNN_KS = [1, 20] as const;

interface KnnResult {
  k: number;
  accuracy: number;
  balancedAccuracy: number;
  weightedF1: number;
}

function argmaxRows(probs: Float32Array, n: number, C: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Map labels of `from` classes onto `to` classes by name; -1 where the class is unknown. */
function remapLabels(labels: Int32Array, from: string[], to: string[]): Int32Array {
  const m = from.map((c) => to.indexOf(c));
  return Int32Array.from(labels, (l) => m[l]!);
}

function checkSameEncoder(f: EmbeddingsFile, manifest: BundleManifest, what: string): void {
  if (f.header.d !== manifest.embeddingDim) {
    throw new CliError(`${what} are ${f.header.d}-dimensional but bundle ${manifest.id} produces ${manifest.embeddingDim}`);
  }
  if (f.header.bundleId !== manifest.id) {
    process.stderr.write(`warning: ${what} were made with bundle "${f.header.bundleId}", evaluating bundle "${manifest.id}"\n`);
  }
}

/** Keep only rows whose label is >= 0. */
function subset(X: Float32Array, y: Int32Array, d: number): { X: Float32Array; y: Int32Array; n: number } {
  const idx: number[] = [];
  y.forEach((l, i) => {
    if (l >= 0) idx.push(i);
  });
  if (idx.length === y.length) return { X, y, n: y.length };
  const Xs = new Float32Array(idx.length * d);
  idx.forEach((i, r) => Xs.set(X.subarray(i * d, (i + 1) * d), r * d));
  return { X: Xs, y: Int32Array.from(idx, (i) => y[i]!), n: idx.length };
}

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      bundle: { type: 'string' },
      data: { type: 'string' },
      embeddings: { type: 'string' },
      'train-embeddings': { type: 'string' },
      'train-data': { type: 'string' },
      precision: { type: 'string' },
      batch: { type: 'string' },
      limit: { type: 'string' },
      threads: { type: 'string' },
      'save-embeddings': { type: 'string' },
      out: { type: 'string' },
      markdown: { type: 'boolean' },
    },
    USAGE,
  );
  if (!a.bundle || (!a.data && !a.embeddings) || (a.data && a.embeddings)) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (a['train-embeddings'] && a['train-data']) throw new CliError('give --train-embeddings or --train-data, not both');
  const md = a.markdown === true;
  const manifest = readManifest(a.bundle);
  const batch = intArg(a.batch, 'batch', 16);
  const threads = intArg(a.threads, 'threads', 0, 0);
  let enc: LoadedEncoder | undefined;
  const encoder = async () => {
    enc ??= await loadEncoder(a.bundle!, { precision: precisionArg(a.precision), threads });
    return enc;
  };

  // --- evaluation embeddings
  let evalSet: EmbeddingsFile;
  if (a.embeddings) {
    evalSet = readEmbeddings(a.embeddings);
    checkSameEncoder(evalSet, manifest, 'evaluation embeddings');
  } else {
    const e = await encoder();
    process.stderr.write(`bundle ${manifest.id} ${manifest.version}: ${e.variant.file} (${e.variant.precision})\n`);
    evalSet = await embedDataset(e, a.data!, { batch, limit: a.limit === undefined ? undefined : intArg(a.limit, 'limit', 0), label: 'eval ' });
    if (a['save-embeddings']) writeEmbeddings(a['save-embeddings'], evalSet);
  }
  const d = evalSet.header.d;
  const report: Record<string, unknown> = {
    bundle: { id: manifest.id, name: manifest.name, version: manifest.version, testModel: manifest.testModel ?? false },
    evaluation: {
      source: a.embeddings ? basename(a.embeddings) : a.data,
      n: evalSet.header.n,
      classes: evalSet.header.classes,
      precision: evalSet.header.precision,
      encoderFile: evalSet.header.encoderFile,
    },
    createdAt: new Date().toISOString(),
  };
  const out: string[] = [];

  // --- linear head
  if (manifest.head) {
    const head = await loadHead(a.bundle, manifest);
    const y = remapLabels(evalSet.labels, evalSet.header.classes, head.classes);
    const missing = evalSet.header.classes.filter((c) => !head.classes.includes(c));
    if (missing.length) process.stderr.write(`warning: the head has no class ${missing.join(', ')}: those images are left out of the head metrics\n`);
    const s = subset(evalSet.embeddings, y, d);
    const C = head.classes.length;
    const probs = applyHead(head, s.X, s.n);
    const pred = argmaxRows(probs, s.n, C);
    const r: ClassificationReport = classificationReport(s.y, pred, head.classes);
    // what the app would show with the bundle's threshold
    let unidentified = 0;
    const thresholded = Int32Array.from(pred, (p, i) => {
      if (probs[i * C + p]! < manifest.unidentifiedThreshold) {
        unidentified++;
        return -1;
      }
      return p;
    });
    const rt = classificationReport(s.y, thresholded, head.classes);
    report.head = {
      ...r,
      unidentifiedThreshold: manifest.unidentifiedThreshold,
      unidentifiedRate: s.n ? unidentified / s.n : 0,
      accuracyOnIdentified: s.n - unidentified > 0 ? (rt.accuracy * s.n) / (s.n - unidentified) : null,
    };
    out.push(formatReport(r, { markdown: md, title: `Linear head (${manifest.head.trainedOn ?? 'head.json'})` }));
    out.push(
      `\nwith unidentifiedThreshold ${manifest.unidentifiedThreshold}: ${(100 * (s.n ? unidentified / s.n : 0)).toFixed(1)}% ${UNIDENTIFIED}` +
        (s.n - unidentified > 0 ? `, accuracy on the rest ${((100 * rt.accuracy * s.n) / (s.n - unidentified)).toFixed(1)}%` : ''),
    );
  } else {
    out.push(`bundle ${manifest.id} has no head: skipping the linear-head metrics`);
  }

  // --- kNN probe
  let trainSet: EmbeddingsFile | undefined;
  if (a['train-embeddings']) {
    trainSet = readEmbeddings(a['train-embeddings']);
    checkSameEncoder(trainSet, manifest, 'training embeddings');
  } else if (a['train-data']) {
    trainSet = await embedDataset(await encoder(), a['train-data'], { batch, label: 'train' });
  }
  if (trainSet) {
    if (trainSet.header.d !== d) throw new CliError(`training embeddings are ${trainSet.header.d}-d, evaluation embeddings ${d}-d`);
    const classes = trainSet.header.classes;
    const yq = remapLabels(evalSet.labels, evalSet.header.classes, classes);
    const q = subset(evalSet.embeddings, yq, d);
    const knn: KnnResult[] = [];
    const t0 = performance.now();
    // neighbours once for the largest k, then vote for each k
    const nb = knnNeighbors(trainSet.embeddings, trainSet.header.n, d, q.X, q.n, Math.max(...KNN_KS));
    for (const k of KNN_KS) {
      const pred = knnVote(nb, trainSet.labels, q.n, k, classes.length);
      const r = classificationReport(q.y, pred, classes);
      knn.push({ k, accuracy: r.accuracy, balancedAccuracy: r.balancedAccuracy, weightedF1: r.weightedF1 });
    }
    report.knn = { trainN: trainSet.header.n, trainSource: a['train-embeddings'] ? basename(a['train-embeddings']) : a['train-data'], distance: 'euclidean', results: knn };
    out.push('');
    out.push(`kNN probe (Euclidean, ${trainSet.header.n} training embeddings, ${q.n} queries, ${((performance.now() - t0) / 1000).toFixed(1)} s):`);
    for (const r of knn) {
      out.push(
        `  k=${String(r.k).padEnd(3)} accuracy ${(100 * r.accuracy).toFixed(1)}%   balanced accuracy ${(100 * r.balancedAccuracy).toFixed(1)}%   weighted F1 ${(100 * r.weightedF1).toFixed(1)}%`,
      );
    }
  }

  process.stdout.write(`${out.join('\n')}\n`);
  if (a.out) {
    writeFileAtomic(a.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`wrote ${rel(a.out)}\n`);
  }
});
