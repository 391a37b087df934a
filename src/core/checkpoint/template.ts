/**
 * Fills an ONNX graph template (made by tools/dinobloom/templates.py from the Python converter's own
 * files) with a checkpoint's weights: the result is, byte for byte, the .onnx file the Python
 * converter writes for that checkpoint — an ordinary, complete ONNX model.
 *
 *   template = literal bytes of the converter's file with every weight cut out + a list of holes
 *   hole     = {at, n, key, t (transposed), enc: f32 | f16 | q8 | q8scale, shape}
 *
 * Output is produced in order, hole by hole, one tensor at a time, into a sink (see BlobSink), so a
 * 343 MB fp32 encoder never sits in memory as a whole.
 */
import { gunzipSync } from 'fflate';
import { quantizeInt8PerColumn, toFloat16Clamped } from './quantize.ts';
import { numel } from './tensor.ts';

export type HoleEncoding = 'f32' | 'f16' | 'q8' | 'q8scale';

export interface TemplateHole {
  at: number;
  n: number;
  key: string;
  t: boolean;
  enc: HoleEncoding;
  shape: number[];
  name: string;
}

export interface TemplateHeader {
  format: 1;
  precision: 'fp32' | 'int8' | 'int8-fc2fp32' | 'fp16';
  dim: number;
  depth: number;
  numHeads: number;
  patchSize: number;
  imgSize: number;
  bytes: number;
  input: string;
  output: string;
  holes: TemplateHole[];
}

export interface OnnxTemplate {
  header: TemplateHeader;
  literal: Uint8Array;
  /**
   * The same model with every hole's tensor as external data (location EXTERNAL_DATA_PATH, the holes'
   * bytes back to back): what the converter verifies with, so ORT never holds the encoder twice.
   */
  graph: Uint8Array;
}

/** The external-data file name the template graphs refer to. */
export const EXTERNAL_DATA_PATH = 'weights.bin';

const MAGIC = 'DBTPL001';

/** Parse a template file (gzip-compressed or raw). */
export function parseTemplate(file: Uint8Array): OnnxTemplate {
  const data = file[0] === 0x1f && file[1] === 0x8b ? gunzipSync(file) : file;
  if (new TextDecoder().decode(data.subarray(0, 8)) !== MAGIC) throw new Error('not a DinoBloom Web ONNX template');
  const n = new DataView(data.buffer, data.byteOffset + 8, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(data.subarray(12, 12 + n))) as TemplateHeader & { graph?: number };
  if (header.format !== 1) throw new Error(`template format ${String(header.format)} is not supported`);
  const body = data.subarray(12 + n);
  const g = header.graph ?? 0;
  const literal = body.subarray(0, body.length - g);
  const graph = body.subarray(body.length - g);
  const holeBytes = header.holes.reduce((s, h) => s + h.n, 0);
  if (literal.length + holeBytes !== header.bytes) throw new Error('damaged template: sizes do not add up');
  return { header, literal, graph };
}

/** The external data of `tpl.graph`, cut out of a filled file (Blob slices: nothing is read yet). */
export function externalWeights(tpl: OnnxTemplate, filled: Blob): Blob {
  return new Blob(tpl.header.holes.map((h) => filled.slice(h.at, h.at + h.n)));
}

/** Where filled bytes go, in order. */
export interface ByteSink {
  write(bytes: Uint8Array): void | Promise<void>;
}

/** A row-major 2-D transpose ([r, c] → [c, r]). */
export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[o + c]!;
  }
  return out;
}

const asBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export interface FillOptions {
  /** float32 values of an official state-dict key, row-major in the checkpoint's shape */
  tensor(key: string): Promise<Float32Array>;
  /** after each hole, with the bytes written so far */
  onProgress?(written: number, total: number): void;
  /** checked between holes; throw to stop */
  checkpoint?(): void;
  /** accumulates where the time goes (ms): reading tensors, encoding them, writing the output */
  stats?: { readMs: number; encodeMs: number; writeMs: number };
}

/**
 * Writes the filled template to `sink`. Every hole's encoded length is checked against the template,
 * so a checkpoint whose shapes do not match the template cannot produce a damaged file.
 */
export async function fillTemplate(tpl: OnnxTemplate, sink: ByteSink, opts: FillOptions): Promise<void> {
  let lit = 0;
  let written = 0;
  // int8 holes come as scale, (zero point in the literal), quantized values: quantise once per tensor
  let quantized = null as { name: string; q: Int8Array; scales: Float32Array } | null;
  for (const h of tpl.header.holes) {
    opts.checkpoint?.();
    const gap = h.at - written;
    if (gap < 0) throw new Error(`damaged template: hole ${h.name} overlaps the previous one`);
    let t = performance.now();
    await sink.write(tpl.literal.subarray(lit, lit + gap));
    if (opts.stats) opts.stats.writeMs += performance.now() - t;
    lit += gap;
    written += gap;
    let bytes: Uint8Array;
    if (h.enc === 'q8' || h.enc === 'q8scale') {
      const base = h.name.replace(/_(quantized|scale)$/u, '');
      if (quantized?.name !== base) {
        const w = await matrix(h, opts);
        t = performance.now();
        const n = columns(h);
        quantized = { name: base, ...quantizeInt8PerColumn(w, w.length / n, n) };
        if (opts.stats) opts.stats.encodeMs += performance.now() - t;
      }
      bytes = asBytes(h.enc === 'q8' ? quantized.q : quantized.scales);
      if (h.enc === 'q8') quantized = null;
    } else {
      const w = await matrix(h, opts);
      t = performance.now();
      bytes = h.enc === 'f32' ? asBytes(w) : asBytes(toFloat16Clamped(w));
      if (opts.stats) opts.stats.encodeMs += performance.now() - t;
    }
    if (bytes.length !== h.n) throw new Error(`${h.name}: ${bytes.length} bytes for a ${h.n}-byte hole (shape mismatch with the template)`);
    t = performance.now();
    await sink.write(bytes);
    if (opts.stats) opts.stats.writeMs += performance.now() - t;
    written += h.n;
    opts.onProgress?.(written, tpl.header.bytes);
  }
  await sink.write(tpl.literal.subarray(lit));
  written += tpl.literal.length - lit;
  if (written !== tpl.header.bytes) throw new Error(`filled ${written} bytes, the template describes ${tpl.header.bytes}`);
}

/** N of the initializer [K, N] behind a hole (a scale hole holds the N scales). */
function columns(h: TemplateHole): number {
  return h.enc === 'q8scale' ? h.shape[0]! : h.shape[h.shape.length - 1]!;
}

/** The hole's tensor in the layout the ONNX initializer uses (MatMul weights: nn.Linear's transposed). */
async function matrix(h: TemplateHole, opts: FillOptions): Promise<Float32Array> {
  let t = performance.now();
  const v = await opts.tensor(h.key);
  if (opts.stats) opts.stats.readMs += performance.now() - t;
  t = performance.now();
  try {
    return transposed(h, v);
  } finally {
    if (opts.stats) opts.stats.encodeMs += performance.now() - t;
  }
}

function transposed(h: TemplateHole, v: Float32Array): Float32Array {
  if (h.enc !== 'q8scale' && v.length !== numel(h.shape)) {
    throw new Error(`${h.key}: ${v.length} values for the template's ${h.name} ${JSON.stringify(h.shape)}`);
  }
  if (!h.t) return v;
  const n = columns(h); // the state-dict tensor is [N, K]
  if (v.length % n) throw new Error(`${h.key}: ${v.length} values cannot be ${n} rows`);
  return transpose2d(v, n, v.length / n);
}
