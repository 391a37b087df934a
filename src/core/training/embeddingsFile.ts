/**
 * The embeddings file written by `npm run embed` (".emb", little-endian), read and written in the
 * browser and in Node alike (tools/cli/lib.ts wraps these); Python reader:
 * tools/fixtures/read_embeddings.py.
 *
 *   offset 0   8 bytes   magic, ASCII "DBEMBED1"
 *   offset 8   uint32    H = byte length of the JSON header (padded with spaces so that 12 + H is
 *                         a multiple of 8)
 *   offset 12  H bytes   UTF-8 JSON header (EmbeddingHeader below: n, d, classes, files, bundle…)
 *   then       n*d float32  embeddings, row-major (sample i = floats [i*d, (i+1)*d))
 *   then       n int32      labels, index into header.classes
 */
import type { Precision } from '../manifest.ts';

export const EMBEDDINGS_MAGIC = 'DBEMBED1';

export interface EmbeddingHeader {
  format: 'dinobloom-embeddings';
  version: 1;
  n: number;
  d: number;
  dtype: 'float32';
  labelDtype: 'int32';
  classes: string[];
  /** per sample, relative to the data folder */
  files: string[];
  bundleId: string;
  bundleVersion: string;
  precision: Precision;
  encoderFile: string;
  encoderSha256: string;
  inputSize: number;
  /** the data folder as given on the command line */
  data: string;
  createdAt: string;
}

export interface EmbeddingsFile {
  header: EmbeddingHeader;
  embeddings: Float32Array;
  labels: Int32Array;
}

export class EmbeddingsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingsFileError';
  }
}

export function encodeEmbeddingsFile(f: EmbeddingsFile): Uint8Array {
  const { header, embeddings, labels } = f;
  if (embeddings.length !== header.n * header.d) throw new Error(`embeddings have ${embeddings.length} values, expected ${header.n}×${header.d}`);
  if (labels.length !== header.n || header.files.length !== header.n) throw new Error('labels/files do not match n');
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - ((12 + raw.length) % 8)) % 8;
  const H = raw.length + pad;
  const out = new Uint8Array(12 + H + embeddings.length * 4 + labels.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = EMBEDDINGS_MAGIC.charCodeAt(i);
  dv.setUint32(8, H, true);
  out.set(raw, 12);
  out.fill(0x20, 12 + raw.length, 12 + H);
  let o = 12 + H;
  for (let i = 0; i < embeddings.length; i++, o += 4) dv.setFloat32(o, embeddings[i]!, true);
  for (let i = 0; i < labels.length; i++, o += 4) dv.setInt32(o, labels[i]!, true);
  return out;
}

function checkHeader(h: unknown, name: string): EmbeddingHeader {
  const fail = (what: string): never => {
    throw new EmbeddingsFileError(`${name}: ${what}`);
  };
  if (typeof h !== 'object' || h === null) return fail('the header is not a JSON object');
  const r = h as Record<string, unknown>;
  if (r.format !== 'dinobloom-embeddings' || r.version !== 1) return fail(`unsupported format ${String(r.format)} v${String(r.version)}`);
  const n = r.n;
  const d = r.d;
  if (!Number.isInteger(n) || (n as number) < 0 || !Number.isInteger(d) || (d as number) < 1) return fail(`bad size n=${String(n)}, d=${String(d)}`);
  if (!Array.isArray(r.classes) || !r.classes.every((c) => typeof c === 'string')) return fail('"classes" must be a list of names');
  if (!Array.isArray(r.files) || r.files.length !== n) return fail(`"files" must list ${String(n)} names`);
  if (r.dtype !== undefined && r.dtype !== 'float32') return fail(`dtype ${String(r.dtype)} is not supported (float32 only)`);
  return h as EmbeddingHeader;
}

/** Parse an embeddings file; throws EmbeddingsFileError with what is wrong. */
export function decodeEmbeddingsFile(bytes: Uint8Array, name = 'embeddings file'): EmbeddingsFile {
  const ascii = String.fromCharCode(...bytes.subarray(0, 8));
  if (bytes.length < 12 || ascii !== EMBEDDINGS_MAGIC) {
    throw new EmbeddingsFileError(`${name} is not a DinoBloom embeddings file (magic ${EMBEDDINGS_MAGIC} missing)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = dv.getUint32(8, true);
  if (12 + h > bytes.length) throw new EmbeddingsFileError(`${name} is truncated (header of ${h} bytes, file of ${bytes.length})`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + h)));
  } catch (e) {
    throw new EmbeddingsFileError(`${name}: the header is not valid JSON (${(e as Error).message})`);
  }
  const header = checkHeader(json, name);
  const { n, d } = header;
  const o = 12 + h;
  const expected = o + n * d * 4 + n * 4;
  if (bytes.length !== expected) throw new EmbeddingsFileError(`${name} is truncated or corrupt (size ${bytes.length}, expected ${expected})`);
  const embeddings = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) embeddings[i] = dv.getFloat32(o + i * 4, true);
  const labels = new Int32Array(n);
  const lo = o + n * d * 4;
  for (let i = 0; i < n; i++) {
    const l = dv.getInt32(lo + i * 4, true);
    if (l < 0 || l >= header.classes.length) throw new EmbeddingsFileError(`${name}: label ${l} of sample ${i} is not one of the ${header.classes.length} classes`);
    labels[i] = l;
  }
  return { header, embeddings, labels };
}
