import { describe, expect, it } from 'vitest';
import type { LinearHead } from './head.ts';
import { doubtfulRows, embedWithSecondView, quarterTurn, SecondViewQueue } from './secondView.ts';

/** n images of 3 planes, size × size, value = a distinct number per (image, plane, row, col) */
function images(n: number, size: number): Float32Array {
  const a = new Float32Array(n * 3 * size * size);
  for (let i = 0; i < a.length; i++) a[i] = i;
  return a;
}

describe('quarterTurn', () => {
  it('turns each plane as torch.rot90(x, 1, dims=(2, 3)) does (numpy rot90 of [[0,1,2],[3,4,5],[6,7,8]])', () => {
    const x = new Float32Array(27);
    for (let i = 0; i < 9; i++) { x[i] = i; x[9 + i] = 10 + i; x[18 + i] = 20 + i; }
    const y = quarterTurn(x, 1, 3, 1);
    // np.rot90([[0,1,2],[3,4,5],[6,7,8]]) = [[2,5,8],[1,4,7],[0,3,6]]
    expect(Array.from(y.subarray(0, 9))).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
    expect(Array.from(y.subarray(9, 18))).toEqual([12, 15, 18, 11, 14, 17, 10, 13, 16]);
    expect(Array.from(quarterTurn(x, 1, 3, 2).subarray(0, 9))).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(Array.from(quarterTurn(x, 1, 3, 3).subarray(0, 9))).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
  });

  it('composes: two quarter turns are a half turn, four are none; several images stay apart', () => {
    const x = images(2, 5);
    const once = quarterTurn(x, 2, 5, 1);
    expect(Array.from(quarterTurn(once, 2, 5, 1))).toEqual(Array.from(quarterTurn(x, 2, 5, 2)));
    expect(Array.from(quarterTurn(quarterTurn(once, 2, 5, 2), 2, 5, 1))).toEqual(Array.from(x));
    expect(Array.from(quarterTurn(once, 2, 5, 3))).toEqual(Array.from(x));
    // image 1's pixels stay in image 1
    const per = 3 * 25;
    expect(Math.min(...once.subarray(per))).toBe(per);
  });
});

describe('doubtfulRows', () => {
  it('picks rows whose top probability is below the threshold (equal is confident), and NaN rows', () => {
    const p = new Float32Array([0.9, 0.1, 0.5, 0.5, 0.8, 0.2, NaN, NaN]);
    expect(doubtfulRows(p, 4, 2, 0.8)).toEqual([1, 3]);
    expect(doubtfulRows(p, 4, 2, 0.95)).toEqual([0, 1, 2, 3]);
    expect(doubtfulRows(p, 4, 2, 0.5)).toEqual([3]);
  });
});

describe('embedWithSecondView', () => {
  const size = 2;
  const per = 3 * size * size;
  // a fake encoder whose 2-d embedding is (top-left pixel of plane 0, sum of plane 0): the turn moves the first
  const run = (calls: number[][]) => async (input: Float32Array, n: number): Promise<Float32Array> => {
    calls.push(Array.from(input.subarray(0, n * per)));
    const e = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const plane = input.subarray(i * per, i * per + size * size);
      e[i * 2] = plane[0]!;
      e[i * 2 + 1] = plane.reduce((s, v) => s + v, 0);
    }
    return e;
  };
  // gate: class 0 logit = embedding[0], class 1 logit = 0 → confident when the top-left pixel is far from 0
  const gate: LinearHead = { classes: ['a', 'b'], inputDim: 2, weight: new Float32Array([1, 0, 0, 0]), bias: new Float32Array([0, 0]) };
  // cell 0: top-left 10 (p ≈ 1, confident); cell 1: top-left 0 (p = 0.5, doubtful); cell 2: top-left -10 (confident)
  const input = new Float32Array(3 * per);
  input.set([10, 1, 2, 3], 0);
  input.set([0, 4, 5, 6], per);
  input.set([-10, 7, 8, 9], 2 * per);

  it('runs a second, turned pass on the doubtful cells only and averages their two embeddings', async () => {
    const calls: number[][] = [];
    const r = await embedWithSecondView(run(calls), input, 3, size, 2, { quarterTurns: 1, belowConfidence: 0.8 }, gate);
    expect(r.secondView).toEqual([1]);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(Array.from(quarterTurn(input.subarray(per, 2 * per), 1, size, 1)));
    // cell 1 turned: [[0,4],[5,6]] → [[4,6],[0,5]]: top-left 4, sum unchanged
    expect(Array.from(r.embeddings)).toEqual([10, 16, (0 + 4) / 2, 15, -10, 14]);
  });

  it('is one pass without a policy, without a head, or when no cell is doubtful', async () => {
    for (const [policy, head] of [[null, gate], [{ quarterTurns: 1 as const, belowConfidence: 0.8 }, null], [{ quarterTurns: 1 as const, belowConfidence: 0.4 }, gate]] as const) {
      const calls: number[][] = [];
      const r = await embedWithSecondView(run(calls), input, 3, size, 2, policy, head);
      expect(calls).toHaveLength(1);
      expect(r.secondView).toEqual([]);
      expect(Array.from(r.embeddings)).toEqual([10, 16, 0, 15, -10, 14]);
    }
  });
});

describe('SecondViewQueue (the worker: doubtful cells wait for a batch of their own)', () => {
  const size = 2;
  const per = 3 * size * size;
  const fakeEncoder = async (input: Float32Array, n: number): Promise<Float32Array> => {
    const e = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const plane = input.subarray(i * per, i * per + size * size);
      e[i * 2] = plane[0]!;
      e[i * 2 + 1] = plane[1]! - plane[2]!;
    }
    return e;
  };
  const gate: LinearHead = { classes: ['a', 'b'], inputDim: 2, weight: new Float32Array([1, 0, 0, 0]), bias: new Float32Array([0, 0]) };
  const policy = { quarterTurns: 1 as const, belowConfidence: 0.9 };
  // 10 cells; top-left pixel 0 (doubtful) for cells 1, 4, 5, 8, far from 0 (confident) for the rest
  const n = 10;
  const input = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    input.set([[1, 4, 5, 8].includes(i) ? 0 : (i % 2 ? 9 : -9), i, 2 * i, 3 * i], i * per);
  }

  it('gives each cell the embedding embedWithSecondView gives, whatever the batches', async () => {
    const want = await embedWithSecondView(fakeEncoder, input, n, size, 2, policy, gate);
    const q = new SecondViewQueue<number>(size, 2, policy, gate);
    const got = new Map<number, number[]>();
    const turnedCells: number[] = [];
    const bs = 3;
    for (let from = 0; from < n; from += bs) {
      const ids = Array.from({ length: Math.min(bs, n - from) }, (_, k) => from + k);
      const batch = input.slice(from * per, (from + ids.length) * per);
      const first = await fakeEncoder(batch, ids.length);
      for (const i of q.sort(ids, batch, first)) got.set(ids[i]!, Array.from(first.subarray(i * 2, i * 2 + 2)));
      while (q.length >= bs) {
        const { cells, turned } = q.take(bs);
        const mean = q.mean(cells, await fakeEncoder(turned, cells.length));
        cells.forEach((c, k) => { got.set(c.item, Array.from(mean.subarray(k * 2, k * 2 + 2))); turnedCells.push(c.item); });
      }
    }
    while (q.length > 0) {
      const { cells, turned } = q.take(bs);
      const mean = q.mean(cells, await fakeEncoder(turned, cells.length));
      cells.forEach((c, k) => { got.set(c.item, Array.from(mean.subarray(k * 2, k * 2 + 2))); turnedCells.push(c.item); });
    }
    expect(turnedCells.sort((a, b) => a - b)).toEqual(want.secondView);
    expect(turnedCells).toEqual([1, 4, 5, 8]);
    for (let i = 0; i < n; i++) expect(got.get(i), `cell ${i}`).toEqual(Array.from(want.embeddings.subarray(i * 2, i * 2 + 2)));
  });

  it('keeps its own copies: the caller may reuse its input and embedding buffers', async () => {
    const q = new SecondViewQueue<string>(size, 2, policy, gate);
    const batch = input.slice(per, 2 * per); // cell 1, doubtful
    const first = await fakeEncoder(batch, 1);
    expect(q.sort(['c1'], batch, first)).toEqual([]);
    batch.fill(123);
    first.fill(456);
    const { cells, turned } = q.take(5);
    expect(cells.map((c) => c.item)).toEqual(['c1']);
    expect(Array.from(turned)).toEqual(Array.from(quarterTurn(input.slice(per, 2 * per), 1, size, 1)));
    expect(Array.from(cells[0]!.first)).toEqual([0, 1 - 2]);
    expect(q.length).toBe(0);
  });
});
