import { describe, expect, it } from 'vitest';
import { knnPredict } from './knn.ts';

describe('knnPredict', () => {
  // 1-D points; class 0 around 0, class 1 around 10
  const trainX = new Float32Array([0, 1, 2, 10, 11, 12, 5.5]);
  const trainY = new Int32Array([0, 0, 0, 1, 1, 1, 1]);

  it('k=1 returns the nearest label', () => {
    const q = new Float32Array([0.4, 9, 5.4, 3.5]);
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, q, 4, 1, 2))).toEqual([0, 1, 1, 0]);
  });

  it('majority vote with k=3', () => {
    // for 5.0: nearest are 5.5 (1), 2 (0) and 1 (0) -> 0 wins 2:1
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, new Float32Array([5.0]), 1, 3, 2))).toEqual([0]);
  });

  it('breaks ties in favour of the nearest neighbour', () => {
    // k=2 at 4.5: neighbours 5.5 (1, d=1) and 2 (0, d=2.5): 1:1 tie -> class of 5.5
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, new Float32Array([4.5]), 1, 2, 2))).toEqual([1]);
    // k=2 at 3.2: neighbours 2 (0, d=1.2) and 5.5 (1, d=2.3) -> 0
    expect(Array.from(knnPredict(trainX, trainY, 7, 1, new Float32Array([3.2]), 1, 2, 2))).toEqual([0]);
  });

  it('works in several dimensions and clamps k to nTrain', () => {
    const d = 3;
    const tx = new Float32Array([0, 0, 0, 1, 0, 0, 10, 10, 10]);
    const ty = new Int32Array([2, 2, 0]);
    const q = new Float32Array([9, 9, 9, 0.2, 0.1, 0]);
    expect(Array.from(knnPredict(tx, ty, 3, d, q, 2, 1, 3))).toEqual([0, 2]);
    expect(Array.from(knnPredict(tx, ty, 3, d, q, 2, 20, 3))).toEqual([2, 2]);
  });

  it('matches brute force on random data', () => {
    let s = 1;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const nT = 200;
    const d = 8;
    const K = 4;
    const tx = Float32Array.from({ length: nT * d }, rnd);
    const ty = Int32Array.from({ length: nT }, () => Math.floor(rnd() * K));
    const nQ = 30;
    const q = Float32Array.from({ length: nQ * d }, rnd);
    const k = 7;
    const got = knnPredict(tx, ty, nT, d, q, nQ, k, K);
    for (let i = 0; i < nQ; i++) {
      const dists = Array.from({ length: nT }, (_, t) => {
        let acc = 0;
        for (let j = 0; j < d; j++) acc += (q[i * d + j]! - tx[t * d + j]!) ** 2;
        return { t, acc };
      }).sort((a, b) => a.acc - b.acc || a.t - b.t);
      const nn = dists.slice(0, k);
      const votes = new Array<number>(K).fill(0);
      for (const { t } of nn) votes[ty[t]!]!++;
      const max = Math.max(...votes);
      const expected = ty[nn.find(({ t }) => votes[ty[t]!] === max)!.t]!;
      expect(got[i]).toBe(expected);
    }
  });
});
