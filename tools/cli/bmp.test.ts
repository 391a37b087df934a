/**
 * tools/cli/bmp.ts: the PIL-written 24-bit fixture against its PNG twin (same pixels), and the
 * other layouts browsers read, written here by a small encoder from a known raster.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BmpError, decodeBmp } from './bmp.ts';
import { decodeImage } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BAD = join(ROOT, 'e2e/fixtures/bad');

const W = 5;
const H = 3;
/** a 5×3 raster of 6 colours (so a 4-bit and an 8-bit palette can hold it; 1-bit gets 2 of them) */
const COLOURS = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [200, 100, 50]];
const INDEX = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2];
const rgb = (i: number) => COLOURS[INDEX[i]!]!;

function bmp(opts: { bpp: number; topDown?: boolean; compression?: number; masks?: [number, number, number]; pixels: Uint8Array; palette?: number[][] }): Uint8Array {
  const pal = opts.palette ?? [];
  const masks = opts.masks ? 12 : 0;
  const offset = 14 + 40 + masks + pal.length * 4;
  const out = new Uint8Array(offset + opts.pixels.length);
  const dv = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  dv.setUint32(2, out.length, true);
  dv.setUint32(10, offset, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, W, true);
  dv.setInt32(22, opts.topDown ? -H : H, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, opts.bpp, true);
  dv.setUint32(30, opts.compression ?? 0, true);
  dv.setUint32(34, opts.pixels.length, true);
  dv.setUint32(46, pal.length, true);
  if (opts.masks) opts.masks.forEach((m, i) => dv.setUint32(54 + 4 * i, m, true));
  pal.forEach(([r, g, b], i) => out.set([b!, g!, r!, 0], 54 + masks + 4 * i));
  out.set(opts.pixels, offset);
  return out;
}

/** rows in file order (bottom-up unless topDown), each padded to 4 bytes */
function rows(bpp: number, topDown: boolean, pixel: (i: number) => number[]): Uint8Array {
  const stride = Math.ceil((W * bpp) / 32) * 4;
  const out = new Uint8Array(stride * H);
  for (let r = 0; r < H; r++) {
    const y = topDown ? r : H - 1 - r;
    for (let x = 0; x < W; x++) {
      const v = pixel(y * W + x);
      if (bpp >= 8) out.set(v, r * stride + (x * bpp) / 8);
      else out[r * stride + ((x * bpp) >> 3)]! |= v[0]! << (8 - bpp - ((x * bpp) & 7));
    }
  }
  return out;
}

function expectRaster(img: { width: number; height: number; data: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> } }, colour: (i: number) => number[]): void {
  expect([img.width, img.height]).toEqual([W, H]);
  for (let i = 0; i < W * H; i++) expect(Array.from(img.data.subarray(i * 3, i * 3 + 3))).toEqual(colour(i));
}

describe('decodeBmp', () => {
  it('decodes the 24-bit fixture to the pixels of its PNG twin', async () => {
    const fromBmp = decodeBmp(readFileSync(join(BAD, 'good-copy.bmp')));
    const fromPng = await decodeImage(join(BAD, 'good-copy.png'));
    expect([fromBmp.width, fromBmp.height]).toEqual([fromPng.width, fromPng.height]);
    expect(Buffer.from(fromBmp.data).equals(Buffer.from(fromPng.data))).toBe(true);
  });

  it('24-bit top-down, 32-bit BI_RGB and BI_BITFIELDS, 16-bit 5-5-5 and 5-6-5', () => {
    expectRaster(decodeBmp(bmp({ bpp: 24, topDown: true, pixels: rows(24, true, (i) => [...rgb(i)].reverse()) })), rgb);
    expectRaster(decodeBmp(bmp({ bpp: 32, pixels: rows(32, false, (i) => [...[...rgb(i)].reverse(), 0]) })), rgb);
    const argb = rows(32, false, (i) => {
      const [r, g, b] = rgb(i);
      return [0x80, b!, g!, r!]; // masks: R 0xff000000, G 0x00ff0000, B 0x0000ff00, 8 low bits alpha
    });
    expectRaster(decodeBmp(bmp({ bpp: 32, compression: 3, masks: [0xff000000, 0x00ff0000, 0x0000ff00], pixels: argb })), rgb);
    const to5 = (v: number) => Math.round((v * 31) / 255);
    const back5 = (v: number) => Math.round((to5(v) * 255) / 31);
    const p555 = rows(16, false, (i) => {
      const [r, g, b] = rgb(i);
      const v = (to5(r!) << 10) | (to5(g!) << 5) | to5(b!);
      return [v & 255, v >> 8];
    });
    expectRaster(decodeBmp(bmp({ bpp: 16, pixels: p555 })), (i) => rgb(i).map(back5));
    const p565 = rows(16, false, (i) => {
      const [r, g, b] = rgb(i);
      const v = (to5(r!) << 11) | (Math.round((g! * 63) / 255) << 5) | to5(b!);
      return [v & 255, v >> 8];
    });
    expectRaster(decodeBmp(bmp({ bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], pixels: p565 })), (i) => {
      const [r, g, b] = rgb(i);
      return [back5(r!), Math.round((Math.round((g! * 63) / 255) * 255) / 63), back5(b!)];
    });
  });

  it('8-, 4- and 1-bit palettes, RLE8 and RLE4', () => {
    expectRaster(decodeBmp(bmp({ bpp: 8, palette: COLOURS, pixels: rows(8, false, (i) => [INDEX[i]!]) })), rgb);
    expectRaster(decodeBmp(bmp({ bpp: 4, palette: COLOURS, pixels: rows(4, false, (i) => [INDEX[i]!]) })), rgb);
    const two = [COLOURS[0]!, COLOURS[3]!];
    expectRaster(decodeBmp(bmp({ bpp: 1, palette: two, pixels: rows(1, false, (i) => [INDEX[i]! % 2]) })), (i) => two[INDEX[i]! % 2]!);
    // RLE8, bottom row first: an encoded run, an absolute run, end of line, …, end of bitmap
    const fileRow = (r: number) => INDEX.slice((H - 1 - r) * W, (H - r) * W);
    const rle8: number[] = [];
    for (let r = 0; r < H; r++) {
      const row = fileRow(r);
      rle8.push(1, row[0]!, 0, 4, ...row.slice(1), 0, 0);
    }
    rle8.push(0, 1);
    expectRaster(decodeBmp(bmp({ bpp: 8, compression: 1, palette: COLOURS, pixels: Uint8Array.from(rle8) })), rgb);
    const rle4: number[] = [];
    for (let r = 0; r < H; r++) {
      const row = fileRow(r);
      rle4.push(0, 5, (row[0]! << 4) | row[1]!, (row[2]! << 4) | row[3]!, row[4]! << 4, 0, 0, 0);
    }
    rle4.push(0, 1);
    expectRaster(decodeBmp(bmp({ bpp: 4, compression: 2, palette: COLOURS, pixels: Uint8Array.from(rle4) })), rgb);
  });

  it('refuses what it cannot read, saying what', () => {
    const ok = bmp({ bpp: 24, pixels: rows(24, false, (i) => rgb(i)) });
    expect(() => decodeBmp(ok.subarray(0, ok.length - 10))).toThrow(BmpError);
    expect(() => decodeBmp(ok.subarray(0, ok.length - 10))).toThrow(/^Truncated BMP: the pixel data needs/);
    expect(() => decodeBmp(bmp({ bpp: 24, compression: 4, pixels: new Uint8Array(60) }))).toThrow('BMP compression 4 with 24 bits per pixel is not supported.');
    expect(() => decodeBmp(new TextEncoder().encode('hello'))).toThrow('Not a BMP file.');
  });
});
