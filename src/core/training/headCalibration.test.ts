import { describe, expect, it } from 'vitest';
import { expectedCalibrationError, softmaxWithTemperature } from './calibration.ts';
import { mulberry32 } from './folds.ts';
import { calibrationSplit, fitHeadTemperature, probabilityFigures, takeLogits } from './headCalibration.ts';

/** n cells with random logits over K classes and labels drawn from softmax(logits / T0). */
function synthetic(n: number, K: number, T0: number, seed: number): { logits: Float64Array; y: Int32Array } {
  const r = mulberry32(seed);
  const logits = new Float64Array(n * K);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < K; c++) logits[i * K + c] = 5 * r();
    const p = softmaxWithTemperature(logits.subarray(i * K, (i + 1) * K), 1, K, T0);
    let u = r();
    let c = 0;
    while (c < K - 1 && u > p[c]!) u -= p[c++]!;
    y[i] = c;
  }
  return { logits, y };
}

describe('calibrationSplit', () => {
  it('gives disjoint, seeded halves that cover every cell and split every class evenly', () => {
    const y = Int32Array.from({ length: 101 }, (_, i) => (i < 7 ? 2 : i % 2));
    const a = calibrationSplit(y, 3, 5);
    const all = [...a.fit, ...a.heldOut].sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 101 }, (_, i) => i));
    for (let c = 0; c < 3; c++) {
      const inFit = Array.from(a.fit).filter((i) => y[i] === c).length;
      const inHeld = Array.from(a.heldOut).filter((i) => y[i] === c).length;
      expect(Math.abs(inFit - inHeld)).toBeLessThanOrEqual(1);
    }
    expect(Array.from(calibrationSplit(y, 3, 5).fit)).toEqual(Array.from(a.fit));
    expect(Array.from(calibrationSplit(y, 3, 6).fit)).not.toEqual(Array.from(a.fit));
  });
});

describe('probabilityFigures', () => {
  it('counts Unidentified below the threshold (equal passes), accuracy, NLL and the app ECE', () => {
    // three cells, two classes: top probabilities 0.5 (passes), 0.88 (right), 0.88 (wrong)
    const logits = new Float64Array([0, 0, 2, 0, 2, 0]);
    const y = new Int32Array([0, 0, 1]);
    const f = probabilityFigures(logits, y, 2, 1, 0.5);
    const p = 1 / (1 + Math.exp(-2));
    expect(f.unidentifiedShare).toBe(0);
    expect(probabilityFigures(logits, y, 2, 1, 0.51).unidentifiedShare).toBeCloseTo(1 / 3, 12);
    expect(f.accuracy).toBeCloseTo(2 / 3, 12);
    expect(f.meanConfidence).toBeCloseTo((0.5 + 2 * p) / 3, 12);
    expect(f.nll).toBeCloseTo(-(Math.log(0.5) + Math.log(p) + Math.log(1 - p)) / 3, 12);
    expect(f.ece).toBe(expectedCalibrationError(softmaxWithTemperature(logits, 3, 2, 1), y, 3, 2).ece);
    // T > 1 flattens: the 0.88 cells fall to 0.73, under a 0.75 threshold
    expect(probabilityFigures(logits, y, 2, 2, 0.75).unidentifiedShare).toBe(1);
  });
});

describe('fitHeadTemperature', () => {
  it('fits T on one half only and lowers ECE and NLL on the other', () => {
    const K = 5;
    const { logits, y } = synthetic(3000, K, 0.5, 11); // the head is under-confident by a factor 2
    const r = fitHeadTemperature(logits, y, K, { seed: 1, threshold: 0.5 });
    expect(r.nFit + r.after.n).toBe(3000);
    expect(Math.abs(r.temperature - 0.5)).toBeLessThan(0.06);
    expect(r.after.ece).toBeLessThan(r.before.ece / 2);
    expect(r.after.nll).toBeLessThan(r.before.nll);
    expect(r.after.accuracy).toBe(r.before.accuracy); // scaling never changes the argmax
    expect(r.after.unidentifiedShare).toBeLessThan(r.before.unidentifiedShare); // sharper: fewer under 0.5
    // the held-out figures are those of the held-out rows, at the fitted T
    const held = takeLogits(logits, y, K, calibrationSplit(y, K, 1).heldOut);
    expect(r.after.ece).toBe(probabilityFigures(held.logits, held.y, K, r.temperature, 0.5).ece);
  });
});
