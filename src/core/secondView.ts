/**
 * A second look at doubtful cells: the encoder runs once on every cell; the cells whose first-view class
 * probability (the bundle's own head) is below the bundle's threshold get a second pass on the same
 * input turned a quarter, and their embedding is the mean of the two views' embeddings.
 *
 * Why: averaging the embeddings of two quarter turns lifts the default model on other labs' cells
 * (v4's model card), but costs a second encoder pass on every cell; the cells it changes are mostly the
 * ones the first view was unsure of, so the second pass is spent only there. The embedding is then a
 * function of the image alone (the gate is the bundle's own head, whatever head classifies), so lab
 * heads, shift statistics and the embedding cache see the same vector in the app, the CLI and Python
 * (tools/train_default/evaluate_shifts.py applies the same rule).
 *
 * Declared in the manifest as `encoder.secondView`; without it the encoder runs once per cell, as before.
 */
import { applyHead, type LinearHead } from './head.ts';
import type { SecondViewPolicy } from './manifest.ts';

export type { SecondViewPolicy };

/**
 * `out` = each of `n` images (3 × size × size, planar) turned by k quarter turns, exactly as the
 * exporter's quarter_turn (torch.rot90(x, k, dims=(2, 3))): for k = 1, out[c][i][j] = in[c][j][size-1-i].
 */
export function quarterTurn(input: Float32Array, n: number, size: number, k: 1 | 2 | 3, out = new Float32Array(n * 3 * size * size)): Float32Array {
  const plane = size * size;
  const last = size - 1;
  for (let p = 0; p < n * 3; p++) {
    const base = p * plane;
    for (let i = 0; i < size; i++) {
      const row = base + i * size;
      for (let j = 0; j < size; j++) {
        // source pixel (r, c) of output (i, j)
        const r = k === 1 ? j : k === 2 ? last - i : last - j;
        const c = k === 1 ? last - i : k === 2 ? last - j : i;
        out[row + j] = input[base + r * size + c]!;
      }
    }
  }
  return out;
}

/** Rows whose largest probability (row-major n × C) is below `below`. NaN rows count as doubtful. */
export function doubtfulRows(probs: Float32Array, n: number, C: number, below: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, probs[i * C + c]!);
    if (!(max >= below)) rows.push(i);
  }
  return rows;
}

/** Runs the encoder on `n` planar inputs (n × 3 × size × size) and returns n × D embeddings. */
export type EncoderRun = (input: Float32Array, n: number) => Promise<Float32Array>;

export interface TwoViewResult {
  /** n × D: the first view's embedding, or for doubtful cells the mean of both views' */
  embeddings: Float32Array;
  /** indices of the cells that got the second view */
  secondView: number[];
}

/**
 * The embeddings of `n` preprocessed cells under the bundle's policy (null: one view for every cell).
 * `gate` is the bundle's own head; the doubtful rows' turned copies run as one batch. The same rule as
 * the worker's SecondViewQueue, through it: one batch, all of its doubtful cells at once.
 */
export async function embedWithSecondView(
  run: EncoderRun, input: Float32Array, n: number, size: number, dim: number,
  policy: SecondViewPolicy | null | undefined, gate: LinearHead | null,
): Promise<TwoViewResult> {
  const first = await run(input, n);
  if (!policy || !gate || n === 0) return { embeddings: first, secondView: [] };
  const queue = new SecondViewQueue<number>(size, dim, policy, gate);
  queue.sort(Array.from({ length: n }, (_, i) => i), input, first);
  if (queue.length === 0) return { embeddings: first, secondView: [] };
  const { cells, turned } = queue.take(queue.length);
  const mean = queue.mean(cells, await run(turned, cells.length));
  const embeddings = first.slice(0, n * dim);
  cells.forEach((c, k) => embeddings.set(mean.subarray(k * dim, (k + 1) * dim), c.item * dim));
  return { embeddings, secondView: cells.map((c) => c.item) };
}

/** A cell waiting for its second view: what the caller keeps with it, its input and its first embedding. */
export interface WaitingCell<T> {
  item: T;
  input: Float32Array;
  first: Float32Array;
}

/**
 * The rule's one implementation: after a batch's first pass, the doubtful cells wait here until a batch
 * of them can run the second pass together (the worker takes a full batch at a time, embedWithSecondView
 * all of one batch's at once). Why the worker waits: the second pass of one batch's one or two doubtful
 * cells would run the encoder at another input shape, and a batch of one, between two full batches; a
 * batch of doubtful cells runs at the main batch's shape. That this is faster in the browser is expected,
 * not measured. A cell's embedding is the same either way (each cell's views are its own).
 */
export class SecondViewQueue<T> {
  private readonly waiting: WaitingCell<T>[] = [];
  private readonly per: number;

  constructor(private readonly size: number, private readonly dim: number, private readonly policy: SecondViewPolicy, private readonly gate: LinearHead) {
    this.per = 3 * size * size;
  }

  get length(): number {
    return this.waiting.length;
  }

  /**
   * Sorts one batch after its first pass: the doubtful cells are queued (with copies of their input and
   * first embedding); returns the indices of the confident ones, whose first embedding is final.
   */
  sort(items: readonly T[], input: Float32Array, first: Float32Array): number[] {
    const n = items.length;
    const doubtful = new Set(doubtfulRows(applyHead(this.gate, first, n), n, this.gate.classes.length, this.policy.belowConfidence));
    const confident: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!doubtful.has(i)) {
        confident.push(i);
        continue;
      }
      this.waiting.push({
        item: items[i]!,
        input: input.slice(i * this.per, (i + 1) * this.per),
        first: first.slice(i * this.dim, (i + 1) * this.dim),
      });
    }
    return confident;
  }

  /** Takes up to k waiting cells and their turned inputs (k × 3 × size × size), to run as one batch. */
  take(k: number): { cells: WaitingCell<T>[]; turned: Float32Array } {
    const cells = this.waiting.splice(0, Math.max(0, k));
    const stacked = new Float32Array(cells.length * this.per);
    cells.forEach((c, j) => stacked.set(c.input, j * this.per));
    return { cells, turned: quarterTurn(stacked, cells.length, this.size, this.policy.quarterTurns) };
  }

  /** The final embeddings (cells.length × dim) of taken cells: the mean of each one's two views. */
  mean(cells: readonly WaitingCell<T>[], second: Float32Array): Float32Array {
    const out = new Float32Array(cells.length * this.dim);
    cells.forEach((c, k) => {
      for (let j = 0; j < this.dim; j++) out[k * this.dim + j] = (c.first[j]! + second[k * this.dim + j]!) / 2;
    });
    return out;
  }
}
