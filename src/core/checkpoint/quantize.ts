/**
 * Weight encodings of the Python converter's ONNX variants, reproduced bit for bit:
 *
 * int8 — onnxruntime.quantization.quantize_dynamic(weight_type=QInt8, per_channel=True) on a MatMul
 * weight W [K, N], channel = column (axis 1). Per column (quant_utils.compute_scale_zp, symmetric):
 *   rmin = min(0, min w), rmax = max(0, max w)                     float32
 *   absmax = max(|rmin|, |rmax|); scale = float32(float64(2·absmax) / 254)   (scale 1 if < float32 tiny)
 *   q = clip(round_half_even(float32(w / scale)), -128, 127), zero point 0
 * JS doubles reproduce the float32 steps exactly: a float32 quotient rounded once to float32
 * (Math.fround) is the correctly rounded float32 division.
 *
 * fp16 — onnxruntime.transformers.float16.convert_np_to_float16: values strictly between 0 and
 * float32(5.96e-8) become float32(5.96e-8) (same for negatives), finite values beyond ±65504 become
 * ±65504, then IEEE round-to-nearest-even to half.
 */

const FLOAT32_TINY = 2 ** -126;
const F16_MIN_POSITIVE = Math.fround(5.96e-8);
const F16_MAX = 65504;

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Per-channel (axis 1) symmetric int8 of a row-major [K, N] matrix: values [K, N] and N scales. */
export function quantizeInt8PerColumn(w: Float32Array, k: number, n: number): { q: Int8Array; scales: Float32Array } {
  if (w.length !== k * n) throw new Error(`quantizeInt8PerColumn: ${w.length} values for [${k}, ${n}]`);
  const min = new Float64Array(n).fill(0);
  const max = new Float64Array(n).fill(0);
  for (let r = 0, o = 0; r < k; r++) {
    for (let c = 0; c < n; c++, o++) {
      const v = w[o]!;
      if (v < min[c]!) min[c] = v;
      if (v > max[c]!) max[c] = v;
    }
  }
  const scales = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const absmax = Math.max(-min[c]!, max[c]!);
    const range = Math.fround(absmax + absmax); // rmax - rmin in float32
    const s = range / 254; // float64, as numpy
    scales[c] = s < FLOAT32_TINY ? 1 : Math.fround(s);
  }
  const q = new Int8Array(k * n);
  for (let r = 0, o = 0; r < k; r++) {
    for (let c = 0; c < n; c++, o++) {
      let v = roundHalfEven(Math.fround(w[o]! / scales[c]!));
      if (v < -128) v = -128;
      else if (v > 127) v = 127;
      q[o] = v;
    }
  }
  return { q, scales };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (numpy's astype(float16)). */
export function floatToHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // implicit bit
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct
  return sign | h;
}

/** The fp16 variant's weight encoding (clamps of convert_np_to_float16, then half rounding). */
export function toFloat16Clamped(w: Float32Array): Uint16Array {
  const out = new Uint16Array(w.length);
  for (let i = 0; i < w.length; i++) {
    let v = w[i]!;
    if (v > 0 && v < F16_MIN_POSITIVE) v = F16_MIN_POSITIVE;
    else if (v < 0 && v > -F16_MIN_POSITIVE) v = -F16_MIN_POSITIVE;
    else if (v > F16_MAX && v < Infinity) v = F16_MAX;
    else if (v < -F16_MAX && v > -Infinity) v = -F16_MAX;
    out[i] = floatToHalfBits(v);
  }
  return out;
}
