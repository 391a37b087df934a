/**
 * Worker-side image decoding: sniff the header (specific errors, size limit before decode), then
 * createImageBitmap + OffscreenCanvas to RGBA. Colour-space conversion is off so pixels match what
 * PIL reads from the same file (PIL ignores embedded ICC profiles); EXIF orientation is applied,
 * as PIL users do with ImageOps.exif_transpose and as sharp's .rotate() does in the Node CLI.
 */
import { checkDimensions, sniffImage, type SniffError } from '../src/core/imageSniff.ts';
import type { RasterImage } from '../src/core/preprocess.ts';

export type DecodeResult = { ok: true; image: RasterImage } | { ok: false; reason: SniffError['reason'] | 'decode-failed'; message: string };

export async function decodeCell(blob: Blob): Promise<DecodeResult> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const sniff = sniffImage(bytes, blob.size);
  if (!sniff.ok) return sniff;
  if (sniff.width !== undefined && sniff.height !== undefined) {
    const tooBig = checkDimensions(sniff.width, sniff.height);
    if (tooBig) return tooBig;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type: `image/${sniff.format}` }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
      imageOrientation: 'from-image',
    });
  } catch {
    return { ok: false, reason: 'decode-failed', message: `Corrupt ${sniff.format.toUpperCase()}: the browser could not decode it.` };
  }
  try {
    const dims = checkDimensions(bitmap.width, bitmap.height);
    if (dims) return dims;
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return { ok: false, reason: 'decode-failed', message: 'Could not get a 2D canvas to read the pixels.' };
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return { ok: true, image: { width: bitmap.width, height: bitmap.height, channels: 4, data } };
  } finally {
    bitmap.close();
  }
}
