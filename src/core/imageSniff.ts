/**
 * Identify an image file from its first bytes, before anything tries to decode it.
 *
 * Why here and not "let the decoder fail": a decoder failure says nothing useful to a lab user, a
 * 9000×9000 image would be fully decoded (324 MB of RGBA) before we could refuse it, and Chromium
 * happily "decodes" a truncated JPEG by filling the missing part with grey. Reading the header lets
 * every bad file get its own specific message cheaply.
 */

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif';

export interface SniffOk {
  ok: true;
  format: ImageFormat;
  /** Dimensions from the header; undefined when the header does not say (decoder will tell). */
  width?: number;
  height?: number;
}
export interface SniffError {
  ok: false;
  /** Stable machine-readable reason, used by tests and the error row's icon. */
  reason: 'empty' | 'unsupported-format' | 'not-an-image' | 'truncated' | 'too-large' | 'too-small' | 'corrupt';
  message: string;
}
export type SniffResult = SniffOk | SniffError;

/** Longest side we accept; larger crops are not single cells and would cost hundreds of MB to decode. */
export const MAX_SIDE = 8000;
/** Shortest side we accept: below this there is no cell to see, only a few averaged pixels. */
export const MIN_SIDE = 16;

const ascii = (b: Uint8Array, at: number, len: number): string =>
  String.fromCharCode(...b.subarray(at, at + len));

function jpegInfo(b: Uint8Array): { width?: number; height?: number; truncated: boolean } {
  // Walk marker segments to the first SOFn (height/width), then on to the first SOS.
  let i = 2;
  let width: number | undefined;
  let height: number | undefined;
  let sos = -1;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) { i++; continue; }
    const marker = b[i + 1]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) { i += marker === 0xff ? 1 : 2; continue; }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && width === undefined && i + 8 < b.length) {
      height = (b[i + 5]! << 8) | b[i + 6]!;
      width = (b[i + 7]! << 8) | b[i + 8]!;
    }
    if (marker === 0xda) { sos = i; break; } // image data follows; without an SOF before it the file is corrupt
    i += 2 + len;
  }
  // A complete JPEG has an EOI (FF D9) after its scan data. Entropy-coded data never contains FF D9
  // (0xFF is stuffed as FF 00), so the first FF D9 after the first SOS is the end of the image, even
  // when something follows it (phone-camera trailers, a second MPF image). Searching from the SOS
  // also skips the EOI of an EXIF thumbnail, which sits in APP1 before it.
  let truncated = true;
  if (sos >= 0) {
    for (let j = sos + 2; j + 1 < b.length; j++) {
      if (b[j] === 0xff && b[j + 1] === 0xd9) { truncated = false; break; }
    }
  }
  return { width, height, truncated };
}

/**
 * A PNG is complete when it ends with its IEND chunk, or when walking the chunks reaches IEND inside
 * the file (bytes appended after IEND are ignored by decoders, so they do not make it truncated).
 */
function pngComplete(b: Uint8Array): boolean {
  if (b.length >= 12 && ascii(b, b.length - 8, 4) === 'IEND') return true;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 8; i + 8 <= b.length; i += 12 + dv.getUint32(i)) {
    if (ascii(b, i + 4, 4) === 'IEND') return true;
  }
  return false;
}

/** WebP canvas size from the first chunk (VP8X, VP8 or VP8L), undefined when it is not readable. */
function webpSize(b: Uint8Array): { width?: number; height?: number } {
  const kind = ascii(b, 12, 4);
  if (kind === 'VP8X' && b.length >= 30) {
    return { width: 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)), height: 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)) };
  }
  if (kind === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: (b[26]! | (b[27]! << 8)) & 0x3fff, height: (b[28]! | (b[29]! << 8)) & 0x3fff };
  }
  if (kind === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return {};
}

/** Major and compatible brands of an ISO-BMFF `ftyp` box at offset 0. */
function ftypBrands(b: Uint8Array): string[] {
  const size = Math.min(b.length, ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!, 256);
  const brands = [ascii(b, 8, 4)];
  for (let i = 16; i + 4 <= size; i += 4) brands.push(ascii(b, i, 4));
  return brands;
}

function textLike(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0xc2) printable++;
  }
  return n > 0 && printable / n > 0.95;
}

/** `head` should hold the whole file for JPEG/PNG truncation checks; at least the first 64 KiB otherwise. */
export function sniffImage(bytes: Uint8Array, totalSize = bytes.length): SniffResult {
  const b = bytes;
  if (totalSize === 0) return { ok: false, reason: 'empty', message: 'Empty file (0 bytes).' };
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const { width, height, truncated } = jpegInfo(b);
    if (width === undefined || height === undefined)
      return { ok: false, reason: 'corrupt', message: 'Corrupt JPEG: no frame header found.' };
    if (truncated && b.length === totalSize)
      return { ok: false, reason: 'truncated', message: 'Truncated JPEG: the file ends before the image data does.' };
    return { ok: true, format: 'jpeg', width, height };
  }
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') {
    if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return { ok: false, reason: 'corrupt', message: 'Corrupt PNG: missing IHDR header.' };
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const width = dv.getUint32(16);
    const height = dv.getUint32(20);
    if (b.length === totalSize && !pngComplete(b))
      return { ok: false, reason: 'truncated', message: 'Truncated PNG: the file ends before its IEND chunk.' };
    return { ok: true, format: 'png', width, height };
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { ok: true, format: 'gif', width: b[6]! | (b[7]! << 8), height: b[8]! | (b[9]! << 8) };
  }
  if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const width = Math.abs(dv.getInt32(18, true));
    const height = Math.abs(dv.getInt32(22, true));
    const declared = dv.getUint32(2, true);
    if (b.length === totalSize && declared > totalSize && declared - totalSize > 4)
      return { ok: false, reason: 'truncated', message: `Truncated BMP: header says ${declared} bytes, file has ${totalSize}.` };
    return { ok: true, format: 'bmp', width, height };
  }
  if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    return { ok: true, format: 'webp', ...webpSize(b) };
  }
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    // An AVIF may carry a generic major brand (mif1, msf1) with avif among its compatible brands.
    const brands = ftypBrands(b);
    if (brands.some((x) => x === 'avif' || x === 'avis')) return { ok: true, format: 'avif' };
    if (brands.some((x) => /^(heic|heix|hevc|hevx|mif1|msf1|heim|heis)$/.test(x)))
      return { ok: false, reason: 'unsupported-format', message: 'HEIC/HEIF images are not supported by the browser: export the crops as JPEG or PNG.' };
  }
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a)))
    return { ok: false, reason: 'unsupported-format', message: 'TIFF is not supported: export the crops as JPEG or PNG.' };
  if (textLike(b)) {
    const head = new TextDecoder().decode(b.subarray(0, 1024)).trimStart().toLowerCase();
    // SVG may open with <svg, an XML declaration, a comment or a DOCTYPE before the <svg element.
    if (head.startsWith('<svg') || (/^<(\?xml|!--|!doctype svg)/.test(head) && head.includes('<svg')))
      return { ok: false, reason: 'unsupported-format', message: 'SVG is not accepted: cell crops must be raster images (JPEG or PNG).' };
    const kind = head.startsWith('<!doctype html') || head.startsWith('<html') ? 'an HTML page' : 'a text file';
    return { ok: false, reason: 'not-an-image', message: `Not an image: this looks like ${kind}.` };
  }
  return { ok: false, reason: 'not-an-image', message: 'Not an image: the file is not JPEG, PNG, BMP, GIF, WebP or AVIF.' };
}

/** Size limit check, separate so the message can name the limit. */
export function checkDimensions(width: number, height: number): SniffError | null {
  if (width < 1 || height < 1) return { ok: false, reason: 'corrupt', message: `Corrupt image: header says ${width}×${height} px.` };
  if (width > MAX_SIDE || height > MAX_SIDE)
    return { ok: false, reason: 'too-large', message: `Image is ${width}×${height} px; the limit is ${MAX_SIDE} px a side (single-cell crops are usually under 500 px).` };
  if (width < MIN_SIDE || height < MIN_SIDE)
    return { ok: false, reason: 'too-small', message: `Image is ${width}×${height} px: too small to show a cell (at least ${MIN_SIDE} px a side).` };
  return null;
}
