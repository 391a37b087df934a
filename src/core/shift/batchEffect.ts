/**
 * The batch-effect figure of the embedding map's table: per source folder, how far the folder's
 * cells sit, on average, from the reference cells of the classes they resemble — the distance from
 * the folder's centroid to the class-matched reference centroid, in the units of the shift score
 * (within-class Mahalanobis units). Matching each cell to its nearest class mean first keeps a
 * folder of mostly neutrophils from looking "shifted" just because it has no lymphocytes.
 *
 * For n cells of the model's own kind the figure is about √(‖μ‖² + tr Σ / n), with μ and Σ the
 * mean and covariance of the reference sample's residuals (`expected`): a folder whose offset is a
 * few times that is displaced as a whole, what a stain, scanner or protocol change does.
 */
import { lowerMatVec } from './linalg.ts';
import { modelFromStats, type FittedModel, type ShiftStats } from './stats.ts';

export interface FolderOffset {
  folder: string;
  /** cells with a finite embedding */
  n: number;
  /** ‖mean whitened residual‖ of the folder's cells */
  offset: number;
  /** the offset expected for n cells of the model's own kind */
  expected: number;
}

/** Whitened residuals to the nearest class mean, summed per group; returns per-group sums and counts. */
function residualSums(model: FittedModel, X: Float32Array, n: number, group: (i: number) => number, groups: number) {
  const { d, W, whitenedMeans } = model;
  const C = whitenedMeans.length / d;
  const sums = new Float64Array(groups * d);
  const sq = new Float64Array(groups);
  const counts = new Float64Array(groups);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let finite = true;
    for (let j = 0; j < d; j++) if (!Number.isFinite(X[i * d + j]!)) finite = false;
    if (!finite) continue;
    lowerMatVec(W, X, i * d, d, z);
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < C; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (z[j]! - whitenedMeans[k * d + j]!) ** 2;
      if (s < bestD) [best, bestD] = [k, s];
    }
    const g = group(i);
    for (let j = 0; j < d; j++) sums[g * d + j]! += z[j]! - whitenedMeans[best * d + j]!;
    sq[g]! += bestD;
    counts[g]!++;
  }
  return { sums, sq, counts };
}

/**
 * Offsets per folder, in order of first appearance. `embeddings` n × d (the case's cells),
 * `folders[i]` cell i's folder (see folderOf).
 */
export function folderOffsets(stats: ShiftStats, embeddings: Float32Array, n: number, folders: readonly string[]): FolderOffset[] {
  const model = modelFromStats(stats);
  const d = stats.embeddingDim;
  // reference residuals: mean μ and total variance tr Σ
  const m = stats.sample.labels.length;
  const ref = residualSums(model, stats.sample.embeddings, m, () => 0, 1);
  const refN = Math.max(1, ref.counts[0]!);
  let mu2 = 0;
  for (let j = 0; j < d; j++) mu2 += (ref.sums[j]! / refN) ** 2;
  const trace = Math.max(0, ref.sq[0]! / refN - mu2);
  const names: string[] = [];
  const index = new Map<string, number>();
  const groupOf = Int32Array.from({ length: n }, (_, i) => {
    const f = folders[i] ?? '';
    let g = index.get(f);
    if (g === undefined) {
      g = names.length;
      index.set(f, g);
      names.push(f);
    }
    return g;
  });
  const r = residualSums(model, embeddings, n, (i) => groupOf[i]!, names.length);
  return names.map((folder, g) => {
    const c = r.counts[g]!;
    let o2 = 0;
    for (let j = 0; j < d; j++) o2 += (r.sums[g * d + j]! / Math.max(1, c)) ** 2;
    return { folder, n: c, offset: c > 0 ? Math.sqrt(o2) : NaN, expected: c > 0 ? Math.sqrt(mu2 + trace / c) : NaN };
  });
}
