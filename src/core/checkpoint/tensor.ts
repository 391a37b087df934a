/**
 * A tensor of a checkpoint, not yet read: its dtype, shape and how to fetch its values as float32
 * (half / bfloat16 / double become float32, as the Python converter's `.to(torch.float32)`). Values
 * are read one tensor at a time, straight from the file, so memory stays at one tensor.
 */
import type { StorageDtype } from './pickle.ts';

export type Dtype = StorageDtype;

export interface CkptTensor {
  dtype: Dtype;
  shape: number[];
  /** float32 values in row-major order (strided / offset storages are gathered) */
  read(): Promise<Float32Array>;
}

export const ITEM_SIZE: Record<Dtype, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export const isFloating = (d: Dtype): boolean => d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** IEEE half → float32 (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

let halfTable: Float32Array | null = null;

/** A typed view of `bytes`, copying them first when they are not aligned for it (little-endian hosts). */
function aligned<T>(bytes: Uint8Array, size: number, make: (b: ArrayBuffer, offset: number, n: number) => T, count: number): T {
  if (bytes.byteOffset % size === 0 && bytes.buffer instanceof ArrayBuffer) return make(bytes.buffer, bytes.byteOffset, count);
  return make(bytes.slice(0, count * size).buffer, 0, count);
}

/** Little-endian element bytes of `dtype` → float32 values. */
export function toFloat32(bytes: Uint8Array, dtype: Dtype, count: number): Float32Array {
  switch (dtype) {
    case 'float32':
      return aligned(bytes, 4, (b, o, n) => new Float32Array(b, o, n), count).slice();
    case 'float16': {
      if (!halfTable) {
        halfTable = new Float32Array(65536);
        for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
      }
      const h = aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n), count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfTable[h[i]!]!;
      return out;
    }
    case 'bfloat16': {
      const h = aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n), count);
      const out = new Float32Array(count);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = h[i]! << 16;
      return out;
    }
    case 'float64':
      return Float32Array.from(aligned(bytes, 8, (b, o, n) => new Float64Array(b, o, n), count));
    default:
      throw new Error(`${dtype} tensors have no float32 values`);
  }
}

/**
 * Gathers a strided view into row-major order. `flat` holds the storage elements from `base` on, the
 * view's element (i0, i1, …) is flat[offset - base + Σ ik·stride_k].
 */
export function gather(flat: Float32Array, offset: number, shape: readonly number[], stride: readonly number[]): Float32Array {
  const n = numel(shape);
  const out = new Float32Array(n);
  const rank = shape.length;
  if (n === 0) return out;
  if (rank === 0) {
    out[0] = flat[offset]!;
    return out;
  }
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  const last = rank - 1;
  const inner = shape[last]!;
  const innerStride = stride[last]!;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0, s = src; j < inner; j++, s += innerStride) out[o + j] = flat[s]!;
    // carry into the outer indices
    for (let k = last - 1; k >= 0; k--) {
      idx[k] = idx[k]! + 1;
      src += stride[k]!;
      if (idx[k]! < shape[k]!) break;
      src -= stride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expect = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k]! !== 1 && stride[k]! !== expect) return false;
    expect *= shape[k]!;
  }
  return true;
}
