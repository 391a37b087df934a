/**
 * UMAP layout of embeddings for the embedding map, run in its own worker (umap.worker.ts): PCA to
 * at most 50 dimensions first (src/core/map/pca.ts; the usual pre-reduction, and what makes exact
 * neighbours affordable), exact k nearest neighbours (src/core/training/knn.ts) handed to umap-js, then its
 * optimisation epoch by epoch. Between steps the worker yields to its message queue, so progress is
 * reported and `cancel(jobId)` stops the job within a few tens of milliseconds.
 */
import { UMAP } from 'umap-js';
import { knnNeighbors } from '../src/core/training/knn.ts';
import { fitPca, projectPca } from '../src/core/map/pca.ts';
import { mulberry32 } from '../src/core/shift/random.ts';
import { yieldToEvents } from './yieldToEvents.ts';

export interface UmapOptions {
  /** neighbours per cell (umap-js / umap-learn default 15) */
  nNeighbors?: number;
  /** how tightly cells may pack (default 0.1) */
  minDist?: number;
  /** optimisation epochs (default: 500 below 10,000 cells, 200 above, as umap-learn) */
  nEpochs?: number;
  /** PCA dimensions before the neighbour search (default 50) */
  pcaDims?: number;
  seed?: number;
}

export interface UmapProgress {
  stage: 'pca' | 'neighbours' | 'layout';
  done: number;
  total: number;
}

export class UmapCancelledError extends Error {
  constructor() {
    super('The UMAP layout was cancelled.');
    this.name = 'AbortError';
  }
}

/** Work between two yields to the message queue (a cancel arrives within about this long). */
const SLICE_MS = 30;

export class UmapEngine {
  private readonly cancelled = new Set<string>();

  cancel(jobId: string): void {
    this.cancelled.add(jobId);
  }

  /** n × 2 layout of n embeddings (n × d, row-major). */
  async layout(jobId: string, embeddings: Float32Array, n: number, d: number, opts: UmapOptions = {}, onProgress?: (p: UmapProgress) => void): Promise<Float32Array> {
    let last = performance.now();
    const checkpoint = async (p: UmapProgress) => {
      if (performance.now() - last < SLICE_MS && p.done < p.total) return;
      onProgress?.(p);
      await yieldToEvents();
      last = performance.now();
      if (this.cancelled.has(jobId)) throw new UmapCancelledError();
    };
    try {
      if (n < 4) return new Float32Array(n * 2);
      await checkpoint({ stage: 'pca', done: 0, total: 1 });
      const k = Math.min(opts.pcaDims ?? 50, d, n - 1);
      const X = k < d ? projectPca(fitPca(embeddings, n, d, k, { maxIterations: 30, tolerance: 1e-6 }), embeddings, n) : embeddings.slice(0, n * d);
      const dims = k < d ? k : d;
      await checkpoint({ stage: 'pca', done: 1, total: 1 });

      const nNeighbors = Math.max(2, Math.min(opts.nNeighbors ?? 15, n - 1));
      const knnIndices: number[][] = [];
      const knnDistances: number[][] = [];
      const CHUNK = 128;
      for (let q0 = 0; q0 < n; q0 += CHUNK) {
        const m = Math.min(CHUNK, n - q0);
        const r = knnNeighbors(X, n, dims, X.subarray(q0 * dims, (q0 + m) * dims), m, nNeighbors);
        for (let i = 0; i < m; i++) {
          knnIndices.push(Array.from(r.indices.subarray(i * r.k, (i + 1) * r.k)));
          knnDistances.push(Array.from(r.distances.subarray(i * r.k, (i + 1) * r.k), (s) => Math.sqrt(Math.max(0, s))));
        }
        await checkpoint({ stage: 'neighbours', done: q0 + m, total: n });
      }

      const umap = new UMAP({
        nComponents: 2,
        nNeighbors,
        minDist: opts.minDist ?? 0.1,
        nEpochs: opts.nEpochs ?? (n > 10_000 ? 200 : 500),
        random: mulberry32(opts.seed ?? 42),
      });
      umap.setPrecomputedKNN(knnIndices, knnDistances);
      const rows: number[][] = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * dims, (i + 1) * dims)));
      const epochs = umap.initializeFit(rows);
      for (let e = 0; e < epochs; e++) {
        umap.step();
        await checkpoint({ stage: 'layout', done: e + 1, total: epochs });
      }
      const out = new Float32Array(n * 2);
      umap.getEmbedding().forEach((p, i) => {
        out[i * 2] = p[0]!;
        out[i * 2 + 1] = p[1]!;
      });
      return out;
    } finally {
      this.cancelled.delete(jobId);
    }
  }
}
