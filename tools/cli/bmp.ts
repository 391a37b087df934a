/**
 * BMP decoding for the Node CLI: sharp's prebuilt libvips has no BMP loader, but the app (the
 * browser) reads BMP, so `npm run embed` must too. Covers what Windows, PIL and scanners write:
 * BITMAPCOREHEADER (OS/2) and BITMAPINFOHEADER/V4/V5; 1-, 4- and 8-bit palettes; 16, 24 and 32 bits
 * (BI_RGB and BI_BITFIELDS masks); RLE8 and RLE4; bottom-up and top-down rows. Output is RGB with
 * any alpha dropped and the stored colour kept, as PIL's `convert('RGB')` does.
 */
import type { RasterImage } from '../../src/core/preprocess.ts';

export class BmpError extends Error {}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/** Position and width of a channel mask, to scale its value to 0..255. */
function maskInfo(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (((mask >>> (shift + bits)) & 1) === 1 && shift + bits < 32) bits++;
  return { shift, max: bits >= 32 ? 0xffffffff : (1 << bits) - 1 };
}

export function decodeBmp(buf: Uint8Array): RasterImage {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw new BmpError('Not a BMP file.');
  const dataOffset = dv.getUint32(10, true);
  const hdr = dv.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = BI_RGB;
  let colours = 0;
  let paletteEntry = 4;
  if (hdr === 12) {
    width = dv.getUint16(18, true);
    rawHeight = dv.getInt16(20, true);
    bpp = dv.getUint16(24, true);
    paletteEntry = 3;
  } else if (hdr >= 40 && buf.length >= 14 + 40) {
    width = dv.getInt32(18, true);
    rawHeight = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    colours = dv.getUint32(46, true);
  } else {
    throw new BmpError(`BMP header of ${hdr} bytes is not supported.`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1) throw new BmpError(`Corrupt BMP: header says ${width}×${height} px.`);

  // channel masks (16/32-bit)
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    // masks follow a 40-byte header; V4/V5 headers hold them at the same place
    const at = 14 + 40;
    if (buf.length < at + 12) throw new BmpError('Truncated BMP: colour masks missing.');
    masks = [dv.getUint32(at, true), dv.getUint32(at + 4, true), dv.getUint32(at + 8, true)];
  } else if (compression !== BI_RGB && !(compression === BI_RLE8 && bpp === 8) && !(compression === BI_RLE4 && bpp === 4)) {
    throw new BmpError(`BMP compression ${compression} with ${bpp} bits per pixel is not supported.`);
  }

  // palette
  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const n = colours || 1 << bpp;
    const at = 14 + hdr + (compression === BI_BITFIELDS && hdr === 40 ? 12 : 0);
    if (at + n * paletteEntry > buf.length) throw new BmpError('Truncated BMP: palette missing.');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < n && i < 256; i++) {
      palette[i * 3] = buf[at + i * paletteEntry + 2]!;
      palette[i * 3 + 1] = buf[at + i * paletteEntry + 1]!;
      palette[i * 3 + 2] = buf[at + i * paletteEntry]!;
    }
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) {
    throw new BmpError(`BMP with ${bpp} bits per pixel is not supported.`);
  }

  const out = new Uint8Array(width * height * 3);
  const put = (x: number, fileRow: number, r: number, g: number, b: number) => {
    const y = topDown ? fileRow : height - 1 - fileRow;
    const o = (y * width + x) * 3;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
  };
  const putIndex = (x: number, fileRow: number, i: number) => put(x, fileRow, palette![i * 3]!, palette![i * 3 + 1]!, palette![i * 3 + 2]!);

  if (compression === BI_RLE8 || compression === BI_RLE4) {
    decodeRle(buf, dataOffset, width, height, bpp, putIndex);
    return { width, height, channels: 3, data: out };
  }

  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * (height - 1) + Math.ceil((width * bpp) / 8) > buf.length) {
    throw new BmpError(`Truncated BMP: the pixel data needs ${dataOffset + stride * height} bytes, the file has ${buf.length}.`);
  }
  const [mr, mg, mb] = masks.map(maskInfo) as [ReturnType<typeof maskInfo>, ReturnType<typeof maskInfo>, ReturnType<typeof maskInfo>];
  const scale = (v: number, m: { shift: number; max: number }) => (m.max === 0 ? 0 : Math.round((((v >>> m.shift) & m.max) * 255) / m.max));
  for (let row = 0; row < height; row++) {
    const base = dataOffset + row * stride;
    for (let x = 0; x < width; x++) {
      if (bpp === 24) {
        const s = base + x * 3;
        put(x, row, buf[s + 2]!, buf[s + 1]!, buf[s]!);
      } else if (bpp === 32 || bpp === 16) {
        const v = bpp === 32 ? dv.getUint32(base + x * 4, true) : dv.getUint16(base + x * 2, true);
        put(x, row, scale(v, mr), scale(v, mg), scale(v, mb));
      } else {
        const bit = x * bpp;
        const byte = buf[base + (bit >> 3)]!;
        const i = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        putIndex(x, row, i);
      }
    }
  }
  return { width, height, channels: 3, data: out };
}

/** RLE8 / RLE4 (pixels not written by the stream stay black, as in PIL and browsers). */
function decodeRle(buf: Uint8Array, at: number, width: number, height: number, bpp: number, putIndex: (x: number, row: number, i: number) => void): void {
  let x = 0;
  let row = 0;
  let p = at;
  const emit = (i: number) => {
    if (x < width && row < height) putIndex(x, row, i);
    x++;
  };
  while (p + 1 < buf.length && row < height) {
    const count = buf[p]!;
    const value = buf[p + 1]!;
    p += 2;
    if (count > 0) {
      for (let k = 0; k < count; k++) emit(bpp === 8 ? value : k % 2 === 0 ? value >> 4 : value & 15);
    } else if (value === 0) {
      x = 0;
      row++;
    } else if (value === 1) {
      return;
    } else if (value === 2) {
      if (p + 1 >= buf.length) break;
      x += buf[p]!;
      row += buf[p + 1]!;
      p += 2;
    } else {
      // absolute run of `value` pixels, padded to a 16-bit boundary
      const bytes = bpp === 8 ? value : Math.ceil(value / 2);
      if (p + bytes > buf.length) throw new BmpError('Truncated BMP: RLE data end early.');
      for (let k = 0; k < value; k++) emit(bpp === 8 ? buf[p + k]! : k % 2 === 0 ? buf[p + (k >> 1)]! >> 4 : buf[p + (k >> 1)]! & 15);
      p += bytes + (bytes & 1);
    }
  }
  if (row < height && p + 1 >= buf.length) throw new BmpError('Truncated BMP: RLE data end early.');
}
