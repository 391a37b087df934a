/**
 * A minimal zip writer for large files: every entry is stored (ONNX weights do not compress), and the
 * result is a Blob made of the headers and the input Blobs themselves — the file data is read once to
 * compute its CRC-32 (and, on request, sha256) but never copied into memory as a whole, so a 600 MB
 * bundle zips in a few MB of memory. Readable by fflate (the app's "Import .zip…"), unzip and Python.
 */
import { Sha256 } from './checkpoint/sha256.ts';

export interface ZipInput {
  /** path inside the zip ("/" separated) */
  name: string;
  data: Blob;
}

export interface ZipOptions {
  /** checked between chunks; throw to stop */
  checkpoint?(): void;
  onProgress?(doneBytes: number, totalBytes: number): void;
  /** also hash every file (sha256) while it is read for its CRC */
  sha256?: boolean;
  /** the entries' modification time (default now) */
  date?: Date;
}

export interface ZipResult {
  blob: Blob;
  /** per entry name, when `sha256` was asked for */
  sha256: Record<string, string>;
}

let crcTable: Uint32Array | null = null;
function table(): Uint32Array {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  return crcTable;
}

export function crc32Update(crc: number, data: Uint8Array): number {
  const t = table();
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const CHUNK = 4 << 20;
const MAX_ZIP32 = 0xffffffff;

function dosDateTime(d: Date): [number, number] {
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  const date = (Math.max(0, d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  return [time, date];
}

export async function buildStoredZip(files: ZipInput[], opts: ZipOptions = {}): Promise<ZipResult> {
  const enc = new TextEncoder();
  const [time, date] = dosDateTime(opts.date ?? new Date());
  const total = files.reduce((s, f) => s + f.data.size, 0);
  if (total + files.length * 200 > MAX_ZIP32) throw new Error(`${(total / 1e9).toFixed(1)} GB is too large for a zip without zip64`);
  const names = new Set<string>();
  const parts: BlobPart[] = [];
  const central: Uint8Array<ArrayBuffer>[] = [];
  const sha256: Record<string, string> = {};
  let offset = 0;
  let done = 0;
  for (const f of files) {
    if (!f.name || f.name.startsWith('/') || f.name.split('/').includes('..') || names.has(f.name)) throw new Error(`bad or duplicate zip entry name: ${f.name}`);
    names.add(f.name);
    let crc = 0;
    const hash = opts.sha256 ? new Sha256() : null;
    for (let at = 0; at < f.data.size; at += CHUNK) {
      opts.checkpoint?.();
      const chunk = new Uint8Array(await f.data.slice(at, at + CHUNK).arrayBuffer());
      crc = crc32Update(crc, chunk);
      hash?.update(chunk);
      done += chunk.length;
      opts.onProgress?.(done, total);
    }
    if (hash) sha256[f.name] = hash.hex();
    const name = enc.encode(f.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(6, 0x0800, true); // UTF-8 names
    lv.setUint16(8, 0, true); // stored
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, f.data.size, true);
    lv.setUint32(22, f.data.size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true); // made by
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.data.size, true);
    cv.setUint32(24, f.data.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, 0o100644 << 16, true); // external attributes: a regular file, rw-r--r--
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    central.push(cd);
    parts.push(local, f.data);
    offset += local.length + f.data.size;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  parts.push(...central, end);
  return { blob: new Blob(parts, { type: 'application/zip' }), sha256 };
}
