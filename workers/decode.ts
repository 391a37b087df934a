/**
 * Worker-side image decoding: sniff the header (specific errors, size limit before decode), then
 * createImageBitmap + OffscreenCanvas to RGBA. Colour-space conversion is off so pixels match what
 * PIL reads from the same file (PIL ignores embedded ICC profiles); EXIF orientation is applied,
 * as PIL users do with ImageOps.exif_transpose and as sharp's .rotate() does in the Node CLI.
 * Used by the decode worker (workers/decode.worker.ts) and, for single batches, by the engine itself.
 */
import { checkDimensions, sniffImage, type SniffError } from '../src/core/imageSniff.ts';
import type { RasterImage } from '../src/core/preprocess.ts';
import { decodePngUnpremultiplied, pngHasAlpha } from './pngAlpha.ts';

export type DecodeError = { ok: false; reason: SniffError['reason'] | 'decode-failed'; message: string };
export type DecodeResult = { ok: true; image: RasterImage } | DecodeError;
/** `straightAlpha`: a PNG with transparency, whose colours a 2D canvas would lose (see pngAlpha.ts). */
export type PendingDecode = { ok: true; bitmap: ImageBitmap; straightAlpha?: Uint8Array } | DecodeError;

export async function startDecode(blob: Blob): Promise<PendingDecode> {
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
  const dims = checkDimensions(bitmap.width, bitmap.height);
  if (dims) {
    bitmap.close();
    return dims;
  }
  return sniff.format === 'png' && pngHasAlpha(bytes) ? { ok: true, bitmap, straightAlpha: bytes } : { ok: true, bitmap };
}

/** One canvas reused across cells (resized as needed): no per-cell canvas allocation. */
let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;

/** Draws the bitmap and reads its RGBA pixels; always closes the bitmap. */
export function readPixels(bitmap: ImageBitmap): DecodeResult {
  try {
    const { width, height } = bitmap;
    if (!canvas || !ctx) {
      canvas = new OffscreenCanvas(width, height);
      ctx = canvas.getContext('2d', { willReadFrequently: true });
    } else if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width; // resizing clears the canvas and resets its state
      canvas.height = height;
    }
    if (!ctx) return { ok: false, reason: 'decode-failed', message: 'Could not get a 2D canvas to read the pixels.' };
    ctx.globalCompositeOperation = 'copy'; // transparent pixels replace, never blend with the previous cell
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, width, height).data;
    return { ok: true, image: { width, height, channels: 4, data } };
  } finally {
    bitmap.close();
  }
}

/** Pixels of a pending decode: the canvas for opaque images, fast-png for PNGs with alpha. */
export function finishDecode(pending: PendingDecode): DecodeResult {
  if (!pending.ok) return pending;
  if (pending.straightAlpha) {
    pending.bitmap.close();
    try {
      return { ok: true, image: decodePngUnpremultiplied(pending.straightAlpha) };
    } catch {
      return { ok: false, reason: 'decode-failed', message: 'Corrupt PNG: its pixel data could not be decoded.' };
    }
  }
  return readPixels(pending.bitmap);
}

export async function decodeCell(blob: Blob): Promise<DecodeResult> {
  return finishDecode(await startDecode(blob));
}

/** decodeCell, with any unexpected failure turned into the cell's own error (never the batch's). */
export function decodeCellOrError(blob: Blob): Promise<DecodeResult> {
  return decodeCell(blob).catch((err: unknown): DecodeError => ({ ok: false, reason: 'decode-failed', message: `Could not read the image: ${(err as Error)?.message ?? err}` }));
}
