/**
 * PNGs with an alpha channel, decoded in JavaScript. Why: a 2D canvas stores premultiplied alpha, so
 * a transparent pixel comes back black however the bitmap was created, while PIL's convert('RGB')
 * (the Python reference) keeps the stored colour. PNG is lossless, so decoding it here gives exactly
 * the reference's pixels. Opaque images never take this path.
 */
import { decode } from 'fast-png';
import type { RasterImage } from '../src/core/preprocess.ts';

/** Colour type 4 (grey + alpha), 6 (RGBA), or a tRNS chunk before the image data. */
export function pngHasAlpha(b: Uint8Array): boolean {
  if (b.length < 26) return false;
  const colourType = b[25];
  if (colourType === 4 || colourType === 6) return true;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 8; i + 8 <= b.length; ) {
    const len = dv.getUint32(i);
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    i += 12 + len;
  }
  return false;
}

/** RGBA (8 bit) exactly as stored, alpha ignored downstream like PIL's convert('RGB'). */
export function decodePngUnpremultiplied(bytes: Uint8Array): RasterImage {
  const png = decode(bytes);
  const { width, height, channels, depth, palette } = png;
  const src = png.data;
  const out = new Uint8ClampedArray(width * height * 4);
  const shift = depth === 16 ? 8 : 0; // 16-bit samples: keep the high byte, as PIL does for RGB(A) 16-bit
  const scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1; // 1/2/4-bit grey (with tRNS) spans 0..255
  for (let p = 0; p < width * height; p++) {
    let r: number, g: number, bl: number;
    if (palette) {
      const entry = palette[src[p]!] ?? [0, 0, 0];
      [r, g, bl] = [entry[0]!, entry[1]!, entry[2]!];
    } else if (channels >= 3) {
      r = src[p * channels]! >> shift;
      g = src[p * channels + 1]! >> shift;
      bl = src[p * channels + 2]! >> shift;
    } else {
      r = g = bl = Math.round((src[p * channels]! >> shift) * scale);
    }
    out[p * 4] = r;
    out[p * 4 + 1] = g;
    out[p * 4 + 2] = bl;
    out[p * 4 + 3] = 255;
  }
  return { width, height, channels: 4, data: out };
}
