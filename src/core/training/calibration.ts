/**
 * Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017): one
 * scalar T > 0 divides the logits, chosen to minimise the negative log-likelihood on cells the model
 * was not trained on. It changes no prediction (argmax is unchanged), only how confident the
 * probabilities are, and it folds into the head (weight / T, bias / T), which stays linear-softmax.
 *
 * Expected calibration error: cells binned by top probability into equal-width bins,
 * ECE = Σ_b |B_b|/n · |accuracy(B_b) − mean confidence(B_b)|.
 */

/** Mean NLL of softmax(logits / T) and its first two derivatives in beta = 1/T. */
function nllInBeta(logits: ArrayLike<number>, y: ArrayLike<number>, n: number, K: number, beta: number): { f: number; g: number; h: number } {
  let f = 0;
  let g = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let c = 0; c < K; c++) max = Math.max(max, beta * logits[o + c]!);
    let sum = 0;
    let ez = 0;
    let ez2 = 0;
    for (let c = 0; c < K; c++) {
      const z = logits[o + c]!;
      const e = Math.exp(beta * z - max);
      sum += e;
      ez += e * z;
      ez2 += e * z * z;
    }
    const m1 = ez / sum;
    const zy = logits[o + y[i]!]!;
    f += Math.log(sum) + max - beta * zy;
    g += m1 - zy;
    h += ez2 / sum - m1 * m1;
  }
  return { f: f / n, g: g / n, h: h / n };
}

export const MIN_TEMPERATURE = 0.05;
export const MAX_TEMPERATURE = 20;

/**
 * T minimising the mean NLL of softmax(logits / T) (n × K logits, labels y). The NLL is convex in
 * 1/T; Newton's method on 1/T with step halving, clamped to [MIN_TEMPERATURE, MAX_TEMPERATURE].
 */
export function fitTemperature(logits: ArrayLike<number>, y: ArrayLike<number>, n: number, K: number): number {
  if (n === 0) return 1;
  const lo = 1 / MAX_TEMPERATURE;
  const hi = 1 / MIN_TEMPERATURE;
  let beta = 1;
  let cur = nllInBeta(logits, y, n, K, beta);
  for (let it = 0; it < 50; it++) {
    if (Math.abs(cur.g) < 1e-10) break;
    let step = cur.h > 1e-12 ? -cur.g / cur.h : -Math.sign(cur.g) * 0.5 * beta;
    let next = beta;
    let trial = cur;
    // halve the step until the NLL goes down (and beta stays in range)
    for (let ls = 0; ls < 30; ls++) {
      next = Math.min(hi, Math.max(lo, beta + step));
      trial = nllInBeta(logits, y, n, K, next);
      if (trial.f <= cur.f) break;
      step /= 2;
    }
    if (!(trial.f <= cur.f) || Math.abs(next - beta) < 1e-12 * beta) break;
    beta = next;
    cur = trial;
  }
  return 1 / beta;
}

/** softmax(logits / T) row by row (n × K). */
export function softmaxWithTemperature(logits: ArrayLike<number>, n: number, K: number, T: number): Float64Array {
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let c = 0; c < K; c++) max = Math.max(max, logits[o + c]! / T);
    let sum = 0;
    for (let c = 0; c < K; c++) {
      const e = Math.exp(logits[o + c]! / T - max);
      out[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < K; c++) out[o + c] = out[o + c]! / sum;
  }
  return out;
}

export interface ReliabilityBin {
  /** upper edge of the bin (lower edge = upper − 1/bins) */
  upper: number;
  count: number;
  accuracy: number;
  confidence: number;
}

export interface CalibrationReport {
  ece: number;
  bins: ReliabilityBin[];
}

/** ECE over `bins` equal-width confidence bins (default 15), with the reliability diagram's bins. */
export function expectedCalibrationError(probs: ArrayLike<number>, y: ArrayLike<number>, n: number, K: number, bins = 15): CalibrationReport {
  const count = new Array<number>(bins).fill(0);
  const correct = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (probs[i * K + c]! > probs[i * K + best]!) best = c;
    const p = probs[i * K + best]!;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1)); // (lo, hi] bins
    count[b]!++;
    conf[b]! += p;
    if (best === y[i]) correct[b]!++;
  }
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    const acc = c > 0 ? correct[b]! / c : 0;
    const cf = c > 0 ? conf[b]! / c : 0;
    if (n > 0) ece += (c / n) * Math.abs(acc - cf);
    out.push({ upper: (b + 1) / bins, count: c, accuracy: acc, confidence: cf });
  }
  return { ece, bins: out };
}

export interface TemperatureFit {
  /** T fitted on all out-of-fold logits */
  temperature: number;
  /**
   * whether scaling helps cells it was not fitted on: the mean NLL with T cross-fitted over the
   * folds is below the NLL at T = 1. When it is not, the head keeps T = 1.
   */
  improves: boolean;
  nllBefore: number;
  nllAfter: number;
  /** ECE of the out-of-fold probabilities as they are (T = 1) */
  eceBefore: number;
  /** ECE after scaling, each fold scaled with the T fitted on the other folds (no cell judges its own T) */
  eceAfter: number;
  binsBefore: ReliabilityBin[];
  binsAfter: ReliabilityBin[];
  n: number;
}

/**
 * Fit T on out-of-fold logits (every cell scored by a model that did not see it: held-in data of
 * the lab, never a test set) and measure ECE before and after with T cross-fitted over the folds.
 */
export function fitTemperatureOutOfFold(logits: Float64Array, y: Int32Array, foldOf: Int32Array, k: number, K: number): TemperatureFit {
  const n = y.length;
  const temperature = fitTemperature(logits, y, n, K);
  const before = expectedCalibrationError(softmaxWithTemperature(logits, n, K, 1), y, n, K);
  const scaled = new Float64Array(n * K);
  for (let f = 0; f < k; f++) {
    const inF: number[] = [];
    const outF: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? inF : outF).push(i);
    const lo = new Float64Array(outF.length * K);
    outF.forEach((i, r) => lo.set(logits.subarray(i * K, (i + 1) * K), r * K));
    const Tf = fitTemperature(lo, Int32Array.from(outF, (i) => y[i]!), outF.length, K);
    for (const i of inF) scaled.set(softmaxWithTemperature(logits.subarray(i * K, (i + 1) * K), 1, K, Tf), i * K);
  }
  const after = expectedCalibrationError(scaled, y, n, K);
  let nllBefore = 0;
  let nllAfter = 0;
  const p1 = softmaxWithTemperature(logits, n, K, 1);
  for (let i = 0; i < n; i++) {
    nllBefore -= Math.log(Math.max(p1[i * K + y[i]!]!, 1e-300)) / n;
    nllAfter -= Math.log(Math.max(scaled[i * K + y[i]!]!, 1e-300)) / n;
  }
  return {
    temperature,
    improves: nllAfter < nllBefore,
    nllBefore,
    nllAfter,
    eceBefore: before.ece,
    eceAfter: after.ece,
    binsBefore: before.bins,
    binsAfter: after.bins,
    n,
  };
}

/** Fold a temperature into a linear head: softmax((W x + b) / T) = softmax((W/T) x + b/T). */
export function foldTemperature(weight: Float32Array, bias: Float32Array, T: number): { weight: Float32Array; bias: Float32Array } {
  if (!(T > 0) || !Number.isFinite(T)) throw new RangeError(`temperature must be a positive number, got ${T}`);
  return { weight: Float32Array.from(weight, (w) => w / T), bias: Float32Array.from(bias, (b) => b / T) };
}
