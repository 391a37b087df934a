import { describe, expect, it } from 'vitest';
import { expectedCalibrationError, fitTemperature, fitTemperatureOutOfFold, foldTemperature, softmaxWithTemperature } from './calibration.ts';
import { mulberry32 } from './folds.ts';

describe('expectedCalibrationError', () => {
  it('is |accuracy − confidence| weighted by bin size', () => {
    // two cells at confidence 0.9 (one right, one wrong) and two at 0.6 (both right)
    const probs = [0.9, 0.1, 0.1, 0.9, 0.6, 0.4, 0.6, 0.4];
    const y = [0, 0, 0, 0];
    const r = expectedCalibrationError(probs, y, 4, 2, 10);
    expect(r.ece).toBeCloseTo(0.5 * Math.abs(0.5 - 0.9) + 0.5 * Math.abs(1 - 0.6), 12);
    expect(r.bins[8]).toEqual({ upper: 0.9, count: 2, accuracy: 0.5, confidence: 0.9 });
    expect(r.bins.reduce((a, b) => a + b.count, 0)).toBe(4);
  });
});

describe('temperature scaling', () => {
  it('recovers the temperature that generated the labels, and lowers ECE out of fold', () => {
    const r = mulberry32(4);
    const n = 4000;
    const K = 4;
    const T0 = 2.5;
    const logits = new Float64Array(n * K);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < K; c++) logits[i * K + c] = 6 * r();
      const p = softmaxWithTemperature(logits.subarray(i * K, (i + 1) * K), 1, K, T0);
      let u = r();
      let c = 0;
      while (c < K - 1 && u > p[c]!) u -= p[c++]!;
      y[i] = c;
    }
    const T = fitTemperature(logits, y, n, K);
    expect(Math.abs(T - T0)).toBeLessThan(0.15);
    const folds = Int32Array.from({ length: n }, (_, i) => i % 5);
    const fit = fitTemperatureOutOfFold(logits, y, folds, 5, K);
    expect(fit.temperature).toBe(T);
    expect(fit.eceAfter).toBeLessThan(fit.eceBefore / 2);
    expect(fit.improves).toBe(true);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
  });

  it('folds into the weights: softmax((Wx+b)/T) = softmax((W/T)x + b/T)', () => {
    const { weight, bias } = foldTemperature(new Float32Array([2, -4]), new Float32Array([1]), 2);
    expect(Array.from(weight)).toEqual([1, -2]);
    expect(Array.from(bias)).toEqual([0.5]);
    expect(() => foldTemperature(weight, bias, 0)).toThrow(/positive/);
  });
});
