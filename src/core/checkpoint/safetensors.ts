/**
 * safetensors: u64 header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}},
 * then the raw little-endian data. The header is checked against the file size before any tensor is
 * read, with the Python converter's messages (tools/dinobloom/checkpoints.py _read_safetensors).
 */
import { CheckpointError } from './errors.ts';
import type { ByteSource } from './source.ts';
import { ITEM_SIZE, numel, toFloat32, type CkptTensor, type Dtype } from './tensor.ts';

const DTYPES: Record<string, Dtype> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const MAX_HEADER = 100 << 20;

/** The first 16 bytes look like safetensors (the Python converter's test). */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const v = new DataView(head.buffer, head.byteOffset, 8);
  return v.getBigUint64(0, true) < 1n << 31n;
}

export async function readSafetensors(src: ByteSource): Promise<Record<string, CkptTensor>> {
  const name = src.name;
  const n = Number(new DataView((await src.read(0, 8)).slice().buffer).getBigUint64(0, true));
  if (8 + n > src.size) throw new CheckpointError('truncated', `${name}: truncated safetensors file (header needs ${n} bytes, file has ${src.size - 8})`);
  if (n > MAX_HEADER) throw new CheckpointError('invalid', `${name}: corrupt safetensors header (${n} bytes long)`);
  let meta: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await src.read(8, n))) as typeof meta;
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new Error('not a JSON object');
  } catch (e) {
    throw new CheckpointError('invalid', `${name}: corrupt safetensors header (${(e as Error).message})`);
  }
  const entries = Object.entries(meta).filter(([k]) => k !== '__metadata__');
  let end = 0;
  for (const [, v] of entries) {
    const off = v?.data_offsets;
    if (Array.isArray(off) && typeof off[1] === 'number') end = Math.max(end, off[1]);
  }
  if (8 + n + end > src.size) throw new CheckpointError('truncated', `${name}: truncated safetensors file (${src.size} bytes, its header describes ${8 + n + end})`);
  const unreadable = (why: string): CheckpointError => new CheckpointError('invalid', `${name}: unreadable safetensors file (${why})`);
  const out: Record<string, CkptTensor> = {};
  for (const [key, v] of entries) {
    const dtype = typeof v?.dtype === 'string' ? DTYPES[v.dtype] : undefined;
    if (!dtype) throw unreadable(`tensor ${key} has dtype ${JSON.stringify(v?.dtype)}`);
    const shape = v.shape;
    const off = v.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw unreadable(`tensor ${key} has no valid shape`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw unreadable(`tensor ${key} has invalid data_offsets`);
    }
    const [b, e] = off as [number, number];
    const count = numel(shape as number[]);
    if (e - b !== count * ITEM_SIZE[dtype]) throw unreadable(`tensor ${key} has ${e - b} bytes, its shape needs ${count * ITEM_SIZE[dtype]}`);
    out[key] = {
      dtype,
      shape: shape as number[],
      async read() {
        return count === 0 ? new Float32Array(0) : toFloat32(await src.read(8 + n + b, e - b), dtype, count);
      },
    };
  }
  return out;
}
