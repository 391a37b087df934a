/**
 * 2-D layouts for the embedding map: the case's cells and the model's reference sample placed
 * together, so that cells unlike the training data show as a cloud apart from the reference. PCA is
 * computed at once here; UMAP runs in a worker (workers/umap.ts) on the same stacked input.
 */
import { formatPercent } from '../shift/batch.ts';
import { fitPca, projectPca } from './pca.ts';

export type MapMethod = 'pca' | 'umap';

export interface MapLayout {
  method: MapMethod;
  /** nCase × 2 */
  casePoints: Float32Array;
  /** nReference × 2 */
  referencePoints: Float32Array;
  /** what the axes are, e.g. "PC 1 (23 % of variance)" */
  axes: [string, string];
  /** PCA: share of variance along each axis */
  explained?: [number, number];
  /** shown under the map */
  note: string;
}

export function mapAxisLabels(method: MapMethod, explained?: readonly number[]): [string, string] {
  if (method === 'umap') return ['UMAP 1', 'UMAP 2'];
  const e = explained ?? [];
  return [0, 1].map((i) => (e[i] === undefined ? `PC ${i + 1}` : `PC ${i + 1} (${formatPercent(e[i]!)} of variance)`)) as [string, string];
}

export const MAP_NOTES: Record<MapMethod, string> = {
  pca: 'PCA: the two directions of largest spread of these cells and the reference cells together; distances are in embedding units.',
  umap: 'UMAP axes have no units: only which cells lie near which is meaningful, not distances between clusters.',
};

/** Case rows then reference rows, one n × d matrix. */
export function stackEmbeddings(caseEmb: Float32Array, nCase: number, refEmb: Float32Array, nRef: number, d: number): Float32Array {
  const all = new Float32Array((nCase + nRef) * d);
  all.set(caseEmb.subarray(0, nCase * d), 0);
  all.set(refEmb.subarray(0, nRef * d), nCase * d);
  return all;
}

/** Split stacked n × 2 points back into case and reference points. */
export function splitPoints(points: Float32Array, nCase: number): { casePoints: Float32Array; referencePoints: Float32Array } {
  return { casePoints: points.slice(0, nCase * 2), referencePoints: points.slice(nCase * 2) };
}

/** PCA map of case + reference cells (fitted on both together, so a shift of the case shows along an axis). */
export function pcaMap(caseEmb: Float32Array, nCase: number, refEmb: Float32Array, nRef: number, d: number): MapLayout {
  const n = nCase + nRef;
  const all = stackEmbeddings(caseEmb, nCase, refEmb, nRef, d);
  if (n < 3) {
    return { method: 'pca', ...splitPoints(new Float32Array(n * 2), nCase), axes: mapAxisLabels('pca'), note: 'Too few cells for a map.' };
  }
  const p = fitPca(all, n, d, 2);
  const explained: [number, number] = [p.explainedRatio[0] ?? 0, p.explainedRatio[1] ?? 0];
  const pts = projectPca(p, all, n);
  const xy = p.k === 2 ? pts : Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? pts[i / 2]! : 0));
  return { method: 'pca', ...splitPoints(xy, nCase), axes: mapAxisLabels('pca', explained), explained, note: MAP_NOTES.pca };
}
