/**
 * The central directory of a zip file read from a ByteSource (PyTorch's .pth/.bin are zips with every
 * entry stored uncompressed, so a tensor is a byte range of the file). Zip64 is handled: torch writes
 * it for files over 4 GB (DinoBloom-G). A file without its end-of-central-directory record was cut
 * off (or is not a zip).
 */
import { CheckpointError } from './errors.ts';
import type { ByteSource } from './source.ts';

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed */
  method: number;
  compressedSize: number;
  size: number;
  /** offset of the local file header */
  localOffset: number;
}

export interface ZipDirectory {
  entries: Map<string, ZipEntry>;
  /** Offset of the first byte of an entry's data (reads its local header once). */
  dataOffset(entry: ZipEntry): Promise<number>;
  /** `length` bytes of an entry's (stored) data from `offset` on, in one read where it can. */
  readData(entry: ZipEntry, offset: number, length: number): Promise<Uint8Array>;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('zip offset too large');
  return Number(n);
}

export async function readZipDirectory(src: ByteSource): Promise<ZipDirectory> {
  const truncated = (why: string): CheckpointError =>
    new CheckpointError('truncated', `${src.name}: truncated or corrupt PyTorch checkpoint (${src.size} bytes; ${why})`);
  const tailLen = Math.min(src.size, 22 + 0xffff + 20);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw truncated('no zip central directory at the end of the file: it was cut off');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== ZIP64_LOCATOR) throw truncated('zip64 locator missing');
    const recOffset = u64(tv, loc + 8);
    if (recOffset + 56 > src.size) throw truncated('zip64 end record past the end of the file');
    const rec = await src.read(recOffset, 56);
    const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    if (rv.getUint32(0, true) !== ZIP64_EOCD) throw truncated('zip64 end record missing');
    count = u64(rv, 32);
    cdSize = u64(rv, 40);
    cdOffset = u64(rv, 48);
  }
  if (cdOffset + cdSize > src.size) throw truncated(`its central directory (${cdSize} bytes at ${cdOffset}) runs past the end`);
  const cd = await src.read(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== CENTRAL) throw truncated('damaged zip central directory');
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let size = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let localOffset = cv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw truncated('damaged zip central directory');
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: the 8-byte values of the fields that hold 0xffffffff, in this order
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(cv, q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(cv, q)), (q += 8);
        if (localOffset === 0xffffffff) localOffset = u64(cv, q);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const offsets = new Map<string, number>();
  const parseLocal = (entry: ZipEntry, h: Uint8Array): number => {
    const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    if (hv.getUint32(0, true) !== LOCAL) throw truncated(`damaged local header of ${entry.name}`);
    const start = entry.localOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    if (start + entry.compressedSize > src.size) throw truncated(`${entry.name} runs past the end of the file`);
    offsets.set(entry.name, start);
    return start;
  };
  return {
    entries,
    async dataOffset(entry) {
      const known = offsets.get(entry.name);
      if (known !== undefined) return known;
      if (entry.localOffset + 30 > src.size) throw truncated(`${entry.name} lies past the end of the file`);
      return parseLocal(entry, await src.read(entry.localOffset, 30));
    },
    async readData(entry, offset, length) {
      const known = offsets.get(entry.name);
      if (known !== undefined) return src.read(known + offset, length);
      // One read for the local header and the data: torch pads the header's extra field to align
      // the data to 64 bytes, so a margin of name + 128 bytes almost always covers it.
      const margin = 30 + entry.name.length * 4 + 128;
      const want = Math.min(margin + offset + length, src.size - entry.localOffset);
      if (entry.localOffset + 30 > src.size) throw truncated(`${entry.name} lies past the end of the file`);
      const chunk = await src.read(entry.localOffset, want);
      const start = parseLocal(entry, chunk.subarray(0, 30));
      const rel = start - entry.localOffset + offset;
      if (rel + length <= chunk.length) return chunk.subarray(rel, rel + length);
      return src.read(start + offset, length);
    },
  };
}
