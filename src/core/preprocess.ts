/**
 * Image preprocessing for the encoder, shared by the browser, the Web Worker and the Node CLI.
 *
 * `resizeBilinearAntialias` is a bit-exact port of Pillow's 8-bit resampler
 * (src/libImaging/Resample.c: precompute_coeffs + normalize_coeffs_8bpc +
 * ImagingResample{Horizontal,Vertical}_8bpc with the BILINEAR filter), i.e. what
 * `PIL.Image.resize((w, h), Image.BILINEAR)` — and therefore torchvision's `Resize` on a PIL
 * image — produces for an RGB image:
 *   - separable: horizontal pass first into a uint8 intermediate holding only the source rows the
 *     vertical pass needs, then the vertical pass;
 *   - antialiased: when downscaling, the triangle filter's support is widened by the scale factor;
 *   - coefficients normalised per output pixel in double precision, then converted to fixed point
 *     with PRECISION_BITS = 32 - 8 - 2 = 22 (round half away from zero), accumulated in integers
 *     starting from 1 << 21 (rounding) and clipped to 0..255 after `>> 22`;
 *   - a pass whose size does not change is skipped (Pillow copies).
 * `toNormalizedCHW` then reproduces `ToTensor()` + `Normalize(mean, std)` in float32
 * arithmetic (x / 255, (x - mean) / std, HWC -> CHW) through a 3×256 lookup table.
 *
 * No DOM, no allocation per pixel: coefficient tables and lookup tables are cached per geometry /
 * spec, and callers can pass an output buffer (with an offset, to fill a batch tensor in place).
 *
 * Which part of the crop is resized is the bundle's `input.resize` policy (`preprocessFramed`):
 * "whole-bilinear-antialias" (DinoBloom, the v1 default) resizes the whole crop; "cell-centred-v1"
 * (src/core/cellCrop.ts) first finds the white cell and resizes a square window around it, exactly as
 * if that window (padded with the background colour where it leaves the crop) were the image.
 */
import type { CellFraming } from './cell.ts';
import { CELL_CENTRED_POLICY, findCell, type CellWindow } from './cellCrop.ts';
import type { BundleInput, ResizePolicy } from './manifest.ts';

export interface RasterImage {
  width: number;
  height: number;
  /** interleaved channels; with 4 channels the alpha channel is ignored */
  channels: 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

export interface PreprocessSpec {
  /** output is size × size */
  size: number;
  /** per-channel RGB mean and std, applied to values in 0..1 */
  mean: readonly number[];
  std: readonly number[];
  /** which part of the crop is resized; absent = "whole-bilinear-antialias" */
  resize?: ResizePolicy;
  /** cell-centred-v1: margin around the cell box, as a fraction of its side, on each side */
  margin?: number;
}

/** The preprocessing a bundle's manifest declares. */
export function specFromInput(input: BundleInput): PreprocessSpec {
  const spec: PreprocessSpec = { size: input.size, mean: [...input.mean], std: [...input.std], resize: input.resize };
  if (input.margin !== undefined) spec.margin = input.margin;
  return spec;
}

/** Pillow: PRECISION_BITS = 32 - 8 - 2 */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point filter coefficients for one axis (one row of `ksize` weights per output pixel). */
interface AxisCoeffs {
  ksize: number;
  /** first source index used by each output pixel */
  min: Int32Array;
  /** number of source pixels used by each output pixel */
  count: Int32Array;
  /** outSize × ksize fixed-point weights */
  k: Int32Array;
}

function bilinearFilter(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

/** Port of Pillow's precompute_coeffs + normalize_coeffs_8bpc for box = (0, inSize). */
export function computeAxisCoeffs(inSize: number, outSize: number): AxisCoeffs {
  if (!Number.isInteger(inSize) || !Number.isInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new RangeError(`invalid resize ${inSize} -> ${outSize}`);
  }
  // box coordinates are C floats in Pillow; in0 = 0 and in1 = inSize are exact in float32.
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1.0 * filterscale; // BILINEAR support = 1
  const ksize = Math.ceil(support) * 2 + 1;
  const min = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    let ww = 0.0;
    // C's (int) cast truncates toward zero
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      const v = bilinearFilter((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      let v = w[x]!;
      if (ww !== 0.0) v /= ww;
      // normalize_coeffs_8bpc: (int)(±0.5 + v * (1 << PRECISION_BITS))
      k[base + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    min[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, min, count, k };
}

const coeffCache = new Map<string, AxisCoeffs>();
function axisCoeffs(inSize: number, outSize: number): AxisCoeffs {
  const key = `${inSize}>${outSize}`;
  let c = coeffCache.get(key);
  if (!c) {
    if (coeffCache.size > 64) coeffCache.clear(); // many distinct crop sizes: keep it bounded
    c = computeAxisCoeffs(inSize, outSize);
    coeffCache.set(key, c);
  }
  return c;
}

/** Pillow's clip8: arithmetic shift then clamp to 0..255. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function checkRaster(src: RasterImage): void {
  const { width, height, channels, data } = src;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new RangeError(`unsupported channel count ${String(channels)}`);
  if (data.length < width * height * channels) {
    throw new RangeError(`image data too short: ${data.length} < ${width}*${height}*${channels}`);
  }
}

let scratch: Uint8Array = new Uint8Array(0);
function scratchBuffer(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(n);
  return scratch;
}

/** Sets row[from..to) (RGB, element offsets) to one colour. */
function fillPixels(row: Uint8ClampedArray, from: number, to: number, [r, g, b]: readonly number[]): void {
  for (let i = from; i < to; i += 3) {
    row[i] = r!;
    row[i + 1] = g!;
    row[i + 2] = b!;
  }
}

/** Row `y` of the window (window coordinates) as RGB into `row`: the crop's pixels, `fill` outside it. */
function windowRow(src: RasterImage, win: CellWindow, y: number, row: Uint8ClampedArray): void {
  const iy = win.top + y;
  const x0 = Math.max(0, win.left);
  const x1 = Math.min(src.width, win.left + win.side);
  const end = win.side * 3;
  if (iy < 0 || iy >= src.height || x1 <= x0) {
    fillPixels(row, 0, end, win.fill);
    return;
  }
  // only the parts outside the crop are filled: the rest is overwritten with the crop's pixels below
  fillPixels(row, 0, (x0 - win.left) * 3, win.fill);
  fillPixels(row, (x1 - win.left) * 3, end, win.fill);
  const sc = src.channels;
  for (let x = x0, p = (iy * src.width + x0) * sc, o = (x0 - win.left) * 3; x < x1; x++, p += sc, o += 3) {
    row[o] = src.data[p]!;
    row[o + 1] = src.data[p + 1]!;
    row[o + 2] = src.data[p + 2]!;
  }
}

/** The whole window as an RGB raster (only used when it is already as wide as the output). */
function windowRaster(src: RasterImage, win: CellWindow): RasterImage {
  const data = new Uint8ClampedArray(win.side * win.side * 3);
  const row = new Uint8ClampedArray(win.side * 3);
  for (let y = 0; y < win.side; y++) {
    windowRow(src, win, y, row);
    data.set(row, y * win.side * 3);
  }
  return { width: win.side, height: win.side, channels: 3, data };
}

/**
 * Resize to outW × outH exactly like Pillow's `Image.resize((outW, outH), Image.BILINEAR)` on an
 * 8-bit RGB image. Returns interleaved RGB (3 channels); alpha, if present, is ignored. With `win`,
 * the image resized is that square window of `src` (filled with `win.fill` outside it), read row by
 * row so that a window larger than the crop never has to exist in memory.
 */
export function resizeBilinearAntialias(src: RasterImage, outW: number, outH: number, win?: CellWindow): Uint8ClampedArray {
  checkRaster(src);
  if (win && win.side === outW) return resizeBilinearAntialias(windowRaster(src, win), outW, outH);
  const inW = win ? win.side : src.width;
  const inH = win ? win.side : src.height;
  const { channels: srcChannels, data: srcData } = src;
  const row = win ? new Uint8ClampedArray(win.side * 3) : null;
  // a window no wider than the crop has its in-crop rows read in place, without a copy
  const inCropColumns = win !== undefined && win.left >= 0 && win.left + win.side <= src.width;
  const out = new Uint8ClampedArray(outW * outH * 3);
  const needH = outW !== inW;
  const needV = outH !== inH;
  const vert = axisCoeffs(inH, outH);

  // Rows [yFirst, yLast) of the source are all the vertical pass reads.
  const yFirst = vert.min[0]!;
  const yLast = vert.min[outH - 1]! + vert.count[outH - 1]!;

  // Intermediate image: 3 channels, width outW (or inW if no horizontal pass), rows yFirst..yLast.
  let tmp: Uint8Array | Uint8ClampedArray;
  let tmpC: number; // channels per pixel in tmp
  let tmpW: number;
  let tmpRow0: number; // source row that tmp row 0 corresponds to
  if (needH) {
    const hor = axisCoeffs(inW, outW);
    const rows = needV ? yLast - yFirst : inH;
    const row0 = needV ? yFirst : 0;
    // When there is no vertical pass, write straight into the output.
    const dst: Uint8Array | Uint8ClampedArray = needV ? scratchBuffer(outW * rows * 3) : out;
    const { ksize, min, count, k } = hor;
    for (let yy = 0; yy < rows; yy++) {
      let data: Uint8Array | Uint8ClampedArray = srcData;
      let sc = srcChannels;
      let rowBase = (yy + row0) * inW * sc;
      if (win && row) {
        const iy = win.top + yy + row0;
        if (inCropColumns && iy >= 0 && iy < src.height) {
          rowBase = (iy * src.width + win.left) * sc;
        } else {
          windowRow(src, win, yy + row0, row);
          data = row;
          sc = 3;
          rowBase = 0;
        }
      }
      let o = yy * outW * 3;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = min[xx]!;
        const n = count[xx]!;
        const kb = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = rowBase + xmin * sc;
        for (let x = 0; x < n; x++) {
          const w = k[kb + x]!;
          s0 += data[p]! * w;
          s1 += data[p + 1]! * w;
          s2 += data[p + 2]! * w;
          p += sc;
        }
        dst[o] = clip8(s0);
        dst[o + 1] = clip8(s1);
        dst[o + 2] = clip8(s2);
        o += 3;
      }
    }
    if (!needV) return out;
    tmp = dst;
    tmpC = 3;
    tmpW = outW;
    tmpRow0 = yFirst;
  } else {
    tmp = srcData;
    tmpC = srcChannels;
    tmpW = inW;
    tmpRow0 = 0;
  }

  if (needV) {
    const { ksize, min, count, k } = vert;
    const stride = tmpW * tmpC;
    for (let yy = 0; yy < outH; yy++) {
      const ymin = min[yy]! - tmpRow0;
      const n = count[yy]!;
      const kb = yy * ksize;
      let o = yy * outW * 3;
      for (let xx = 0; xx < outW; xx++) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = ymin * stride + xx * tmpC;
        for (let y = 0; y < n; y++) {
          const w = k[kb + y]!;
          s0 += tmp[p]! * w;
          s1 += tmp[p + 1]! * w;
          s2 += tmp[p + 2]! * w;
          p += stride;
        }
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
        o += 3;
      }
    }
    return out;
  }

  // Same size on both axes: Pillow copies.
  for (let i = 0, p = 0; i < outW * outH * 3; i += 3, p += srcChannels) {
    out[i] = srcData[p]!;
    out[i + 1] = srcData[p + 1]!;
    out[i + 2] = srcData[p + 2]!;
  }
  return out;
}

const lutCache = new Map<string, Float32Array>();
/**
 * 3×256 table: lut[c*256 + v] = float32((float32(v / 255) - mean[c]) / std[c]), the exact
 * float32 result of torchvision's ToTensor (x.float().div(255)) followed by Normalize
 * (sub_(mean).div_(std)) with float32 mean/std.
 */
export function normalizationLut(mean: readonly number[], std: readonly number[]): Float32Array {
  if (mean.length !== 3 || std.length !== 3) throw new RangeError('mean and std must have 3 values');
  const key = `${mean.join(',')}|${std.join(',')}`;
  let lut = lutCache.get(key);
  if (lut) return lut;
  for (const s of std) if (!(s > 0)) throw new RangeError(`std must be > 0, got ${s}`);
  lut = new Float32Array(768);
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const m = f(mean[c]!);
    const s = f(std[c]!);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = f(f(f(v / 255) - m) / s);
  }
  if (lutCache.size > 16) lutCache.clear();
  lutCache.set(key, lut);
  return lut;
}

/**
 * Interleaved RGB (size × size × 3, uint8) → normalised CHW float32 written to `out` at `offset`
 * (elements). Allocates `out` (3 × size × size) when not given.
 */
export function toNormalizedCHW(
  rgb: Uint8Array | Uint8ClampedArray,
  spec: PreprocessSpec,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const hw = spec.size * spec.size;
  if (rgb.length < hw * 3) throw new RangeError(`rgb buffer too short: ${rgb.length} < ${hw * 3}`);
  const dst = out ?? new Float32Array(3 * hw);
  if (offset < 0 || offset + 3 * hw > dst.length) {
    throw new RangeError(`output buffer too small: need ${offset + 3 * hw} elements, have ${dst.length}`);
  }
  const lut = normalizationLut(spec.mean, spec.std);
  const g0 = offset + hw;
  const b0 = offset + 2 * hw;
  for (let i = 0, p = 0; i < hw; i++, p += 3) {
    dst[offset + i] = lut[rgb[p]!]!;
    dst[g0 + i] = lut[256 + rgb[p + 1]!]!;
    dst[b0 + i] = lut[512 + rgb[p + 2]!]!;
  }
  return dst;
}

export interface Preprocessed {
  data: Float32Array;
  /** how the crop was framed: null for whole-crop policies */
  framing: CellFraming | null;
}

/**
 * Crop → (the policy's window: the whole crop, or the square around the cell) → size × size (Pillow
 * bilinear, antialiased) → normalised CHW float32, and how the crop was framed.
 */
export function preprocessFramed(src: RasterImage, spec: PreprocessSpec, out?: Float32Array, offset = 0): Preprocessed {
  if (spec.resize === CELL_CENTRED_POLICY) {
    checkRaster(src);
    const found = findCell(src, spec.margin ?? 0);
    const rgb = resizeBilinearAntialias(src, spec.size, spec.size, found.window ?? undefined);
    return { data: toNormalizedCHW(rgb, spec, out, offset), framing: found.framing };
  }
  return { data: toNormalizedCHW(resizeBilinearAntialias(src, spec.size, spec.size), spec, out, offset), framing: null };
}

/** `preprocessFramed` without the framing. */
export function preprocess(src: RasterImage, spec: PreprocessSpec, out?: Float32Array, offset = 0): Float32Array {
  return preprocessFramed(src, spec, out, offset).data;
}

/** ImageNet statistics, the DinoBloom / DINOv2 default. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
