/**
 * npm run shift-measure -- --bundle <dir> [--emb tools/shift/.cache/<bundle id>] [--out <file.json>]
 *
 * Compares out-of-distribution scores on the development shift set made by `npm run shift-embed`:
 * for each candidate score, the threshold is the 99th percentile of held-in PBC train cells (never
 * val), and per set we report AUROC against PBC val and the share of cells over the threshold. Then,
 * for the shipped score (src/core/shift, built exactly as `npm run shift-stats` builds it), the batch
 * test's verdict rate on random batches of each set: false alarms on PBC val, detection elsewhere.
 * Prints markdown tables (docs/shift-detection.md quotes them) and writes everything as JSON.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { applyHead, headLogits } from '../../src/core/head.ts';
import { testBatch } from '../../src/core/shift/batch.ts';
import { mulberry32 } from '../../src/core/shift/random.ts';
import { createShiftScorer } from '../../src/core/shift/score.ts';
import { buildShiftStats, quantileSorted, type ShiftScoreKind } from '../../src/core/shift/stats.ts';
import { CliError, cliArgs, loadHead, readEmbeddings, readManifest, rel, runMain, writeFileAtomic, type EmbeddingsFile } from '../cli/lib.ts';
import { auroc } from './auroc.ts';

const USAGE = `usage: npm run shift-measure -- --bundle <dir> [--emb <folder>] [--out <file.json>] [--quantile 0.99] [--skip-knn]

  --skip-knn   leave out the kNN candidates (they take minutes: every cell against every train cell)`;

type Scorer = { name: string; note: string; heldIn: Float64Array; score: (f: EmbeddingsFile) => Float64Array };

function l2normalised(X: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j]! ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let j = 0; j < d; j++) out[i * d + j] = X[i * d + j]! * inv;
  }
  return out;
}

/** Distance to the k-th nearest reference (cosine space, √(2 − 2cos)); `skipSelf` leaves out index i of the reference. */
function kthNeighbour(Q: Float32Array, nq: number, R: Float32Array, nr: number, d: number, k: number, skipSelf: boolean): Float64Array {
  const out = new Float64Array(nq);
  const best = new Float64Array(k);
  for (let i = 0; i < nq; i++) {
    best.fill(-Infinity); // k largest cosines, ascending
    for (let r = 0; r < nr; r++) {
      if (skipSelf && r === i) continue;
      let s = 0;
      const qo = i * d;
      const ro = r * d;
      for (let j = 0; j < d; j++) s += Q[qo + j]! * R[ro + j]!;
      if (s <= best[0]!) continue;
      let p = 0;
      while (p + 1 < k && best[p + 1]! < s) {
        best[p] = best[p + 1]!;
        p++;
      }
      best[p] = s;
    }
    out[i] = Math.sqrt(Math.max(0, 2 - 2 * best[0]!));
  }
  return out;
}

function addKnnScorers(scorers: Scorer[], train: EmbeddingsFile, d: number): void {
  const K = 10;
  const trainN = l2normalised(train.embeddings, train.header.n, d);
  process.stderr.write(`  knn: leave-one-out over ${train.header.n} train cells…\n`);
  scorers.push({
    name: `knn-${K}`,
    note: `distance to the ${K}th nearest PBC train cell, L2-normalised embeddings (Sun et al. 2022); held-in: leave-one-out`,
    heldIn: kthNeighbour(trainN, train.header.n, trainN, train.header.n, d, K, true),
    score: (f) => kthNeighbour(l2normalised(f.embeddings, f.header.n, d), f.header.n, trainN, train.header.n, d, K, false),
  });
  // what the browser could do from a shipped sample of 400 reference cells
  const sampleIdx = new Set<number>();
  const r0 = mulberry32(7);
  const sampleN = Math.min(400, Math.floor(train.header.n / 2));
  while (sampleIdx.size < sampleN) sampleIdx.add(Math.floor(r0() * train.header.n));
  const sIdx = [...sampleIdx];
  const S = new Float32Array(sIdx.length * d);
  sIdx.forEach((i, r) => S.set(trainN.subarray(i * d, (i + 1) * d), r * d));
  const rest = Array.from({ length: train.header.n }, (_, i) => i).filter((i) => !sampleIdx.has(i));
  const restN = new Float32Array(rest.length * d);
  rest.forEach((i, r) => restN.set(trainN.subarray(i * d, (i + 1) * d), r * d));
  scorers.push({
    name: 'knn-5-sample400',
    note: 'distance to the 5th nearest of a 400-cell reference sample (what the shipped sample alone allows); held-in: the other train cells',
    heldIn: kthNeighbour(restN, rest.length, S, sIdx.length, d, 5, false),
    score: (f) => kthNeighbour(l2normalised(f.embeddings, f.header.n, d), f.header.n, S, sIdx.length, d, 5, false),
  });

}

runMain(async () => {
  const a = cliArgs(process.argv.slice(2), { bundle: { type: 'string' }, emb: { type: 'string' }, out: { type: 'string' }, quantile: { type: 'string' }, 'skip-knn': { type: 'boolean' } }, USAGE);
  if (!a.bundle) throw new CliError(USAGE);
  const manifest = readManifest(a.bundle);
  const dir = a.emb ?? join('tools/shift/.cache', manifest.id);
  const q = a.quantile ? Number(a.quantile) : 0.99;
  const need = (name: string) => {
    const p = join(dir, `${name}.emb`);
    if (!existsSync(p)) throw new CliError(`${rel(p)} is missing: run npm run shift-embed -- --bundle ${a.bundle} first`);
    return readEmbeddings(p);
  };
  const train = need('pbc-train');
  const val = need('pbc-val');
  const others = readdirSync(dir)
    .filter((f) => f.endsWith('.emb') && !['pbc-train.emb', 'pbc-val.emb'].includes(f))
    .sort((x, y) => (x === 'lisc.emb' ? -1 : y === 'lisc.emb' ? 1 : x.localeCompare(y)))
    .map((f) => ({ name: f.replace(/\.emb$/u, ''), emb: readEmbeddings(join(dir, f)) }));
  const d = train.header.d;
  const sets = [{ name: 'pbc-val', emb: val }, ...others];
  process.stderr.write(`${manifest.id}: train ${train.header.n}, sets ${sets.map((s) => `${s.name} ${s.emb.header.n}`).join(', ')}\n`);

  const scorers: Scorer[] = [];
  const statsOf = (kind: ShiftScoreKind) => {
    const t0 = performance.now();
    const stats = buildShiftStats(train.embeddings, train.header.n, d, train.labels, train.header.classes, {
      bundleId: manifest.id, encoderSha256: [train.header.encoderSha256], score: kind, thresholdQuantile: q,
    });
    process.stderr.write(`  ${kind}: stats in ${((performance.now() - t0) / 1000).toFixed(1)} s, shrinkage ${stats.shrinkage.toExponential(2)}\n`);
    return stats;
  };
  // Gaussian scores: buildShiftStats already made held-in scores (k-fold over train) and took their
  // quantile; its threshold is carried as a one-value `heldIn` (see thresholdOf).
  const gaussian = (kind: ShiftScoreKind, note: string): Scorer => {
    const stats = statsOf(kind);
    const scorer = createShiftScorer(stats);
    return { name: kind, note, heldIn: Float64Array.of(stats.threshold), score: (f) => scorer.score(f.embeddings, f.header.n) };
  };
  scorers.push(gaussian('mahalanobis', 'min over classes of the Mahalanobis distance, shared Ledoit–Wolf covariance'));
  scorers.push(gaussian('relative-mahalanobis', 'min class squared distance minus squared distance to one Gaussian of all cells (Ren et al. 2021)'));

  const head = manifest.head ? await loadHead(a.bundle, manifest) : null;
  if (head) {
    const logitScore = (kind: 'energy' | 'msp') => (f: EmbeddingsFile) => {
      const n = f.header.n;
      const C = head.classes.length;
      const L = headLogits(head, f.embeddings, n);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, L[i * C + c]!);
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(L[i * C + c]! - m);
        const lse = m + Math.log(s);
        out[i] = kind === 'energy' ? -lse : 1 - 1 / s; // 1 − max softmax = 1 − e^{m−lse}
      }
      return out;
    };
    scorers.push({ name: 'energy', note: '−logsumexp of the head logits (Liu et al. 2020); train cells as held-in (the head was fitted on them)', heldIn: logitScore('energy')(train), score: logitScore('energy') });
    scorers.push({ name: 'max-softmax', note: '1 − top probability (Hendrycks & Gimpel 2017); train cells as held-in', heldIn: logitScore('msp')(train), score: logitScore('msp') });
  }
  if (!a['skip-knn']) addKnnScorers(scorers, train, d);

  const thresholdOf = (s: Scorer) => (s.heldIn.length === 1 ? s.heldIn[0]! : quantileSorted(Float64Array.from(s.heldIn).sort(), q));
  const results: Record<string, Record<string, { auroc: number | null; flagged: number; n: number }>> = {};
  for (const s of scorers) {
    const t = thresholdOf(s);
    const valScores = s.score(val);
    results[s.name] = {};
    for (const set of sets) {
      const sc = set.name === 'pbc-val' ? valScores : s.score(set.emb);
      let flagged = 0;
      for (const v of sc) if (v > t) flagged++;
      results[s.name]![set.name] = { auroc: set.name === 'pbc-val' ? null : auroc(valScores, sc), flagged: flagged / sc.length, n: sc.length };
    }
    process.stderr.write(`  scored ${s.name}\n`);
  }

  // batch test with the shipped score (mahalanobis, stats as shift-stats builds them)
  const stats = statsOf('mahalanobis');
  const scorer = createShiftScorer(stats);
  const sizes = [20, 50, 100, 200, 500];
  const trials = 4000;
  const batch: Record<string, Record<number, number>> = {};
  const rand = mulberry32(2024);
  for (const set of sets) {
    const flags = Array.from(scorer.assess(set.emb.embeddings, set.emb.header.n), (x) => x.ok && x.flagged);
    batch[set.name] = {};
    for (const m of sizes) {
      if (m > flags.length) continue;
      let fired = 0;
      const idx = Array.from({ length: flags.length }, (_, i) => i);
      for (let t = 0; t < trials; t++) {
        let k = 0;
        for (let j = 0; j < m; j++) {
          const r = j + Math.floor(rand() * (idx.length - j));
          [idx[j], idx[r]] = [idx[r]!, idx[j]!];
          if (flags[idx[j]!]) k++;
        }
        if (testBatch(k, m, stats.expectedFlagRate).verdict === 'shifted') fired++;
      }
      batch[set.name]![m] = fired / trials;
    }
  }

  // does the flag pick out the cells the head gets wrong? (classes matched by name; LISC has 5 of the 8)
  const accuracy: Record<string, { all: number; unflagged: number; flagged: number | null; n: number }> = {};
  if (head) {
    const C = head.classes.length;
    for (const set of sets) {
      const f = set.emb;
      const toHead = f.header.classes.map((c) => head.classes.indexOf(c));
      const probs = applyHead(head, f.embeddings, f.header.n);
      const flags = scorer.assess(f.embeddings, f.header.n);
      const tally = { all: [0, 0], unflagged: [0, 0], flagged: [0, 0] };
      for (let i = 0; i < f.header.n; i++) {
        const truth = toHead[f.labels[i]!]!;
        if (truth < 0) continue;
        let best = 0;
        for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + best]!) best = c;
        const ok = best === truth ? 1 : 0;
        const fl = flags[i]!;
        for (const key of ['all', fl.ok && fl.flagged ? 'flagged' : 'unflagged'] as const) {
          tally[key][0]! += ok;
          tally[key][1]!++;
        }
      }
      const r = (t: number[]) => (t[1]! > 0 ? t[0]! / t[1]! : null);
      accuracy[set.name] = { all: r(tally.all)!, unflagged: r(tally.unflagged) ?? NaN, flagged: r(tally.flagged), n: tally.all[1]! };
    }
  }

  const f1 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  const p1 = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines: string[] = [];
  lines.push(`bundle ${manifest.id} ${manifest.version}, ${train.header.precision} embeddings, d = ${d}; threshold = ${q} quantile of held-in PBC train scores`);
  lines.push('', '### Per-cell AUROC vs PBC val (flagged share at the threshold)', '');
  lines.push(`| score | ${sets.map((s) => s.name).join(' | ')} |`);
  lines.push(`|---|${sets.map(() => '---').join('|')}|`);
  for (const s of scorers) lines.push(`| ${s.name} | ${sets.map((set) => { const r = results[s.name]![set.name]!; return r.auroc === null ? p1(r.flagged) : `${f1(r.auroc)} (${p1(r.flagged)})`; }).join(' | ')} |`);
  lines.push('', `### Batch test (mahalanobis, expected rate ${p1(stats.expectedFlagRate)}, threshold ${stats.threshold.toFixed(3)}): share of ${trials} random batches called "shifted"`, '');
  lines.push(`| set | ${sizes.map((m) => `${m} cells`).join(' | ')} |`);
  lines.push(`|---|${sizes.map(() => '---').join('|')}|`);
  for (const set of sets) lines.push(`| ${set.name} | ${sizes.map((m) => (batch[set.name]![m] === undefined ? '—' : p1(batch[set.name]![m]!))).join(' | ')} |`);
  if (head) {
    lines.push('', '### Head accuracy (top class) on all cells / on cells not flagged / on flagged cells (mahalanobis)', '');
    lines.push('| set | all | not flagged | flagged |', '|---|---|---|---|');
    for (const set of sets) {
      const r = accuracy[set.name]!;
      lines.push(`| ${set.name} | ${p1(r.all)} | ${p1(r.unflagged)} | ${r.flagged === null ? '—' : p1(r.flagged)} |`);
    }
  }
  lines.push('', ...scorers.map((s) => `- ${s.name}: ${s.note}`));
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = a.out ?? join(dir, 'measurements.json');
  writeFileAtomic(out, `${JSON.stringify({ bundle: manifest.id, version: manifest.version, precision: train.header.precision, quantile: q, results, batch, accuracy, expectedFlagRate: stats.expectedFlagRate, threshold: stats.threshold, notes: Object.fromEntries(scorers.map((s) => [s.name, s.note])) }, null, 1)}\n`);
  process.stderr.write(`wrote ${rel(out)}\n`);
});
