import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDimensions, sniffImage } from './imageSniff.ts';

const FIX = path.resolve(import.meta.dirname, '../../e2e/fixtures');
const read = (p: string) => new Uint8Array(fs.readFileSync(path.join(FIX, p)));

describe('sniffImage', () => {
  it('reads JPEG and PNG dimensions from real files', () => {
    const jpg = sniffImage(read('pbc/neutrophil__BNE_2019.jpg'));
    expect(jpg).toMatchObject({ ok: true, format: 'jpeg' });
    if (jpg.ok) expect([jpg.width, jpg.height]).toEqual([360, 363]);
    expect(sniffImage(read('bad/good-copy.png'))).toMatchObject({ ok: true, format: 'png', width: 360, height: 363 });
    expect(sniffImage(read('bad/good-copy.bmp'))).toMatchObject({ ok: true, format: 'bmp', width: 360, height: 363 });
  });

  it('gives every bad file in the committed corpus its expected reason', () => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'bad/expected.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(20);
    for (const [file, outcome] of Object.entries(expected)) {
      const r = sniffImage(read(`bad/${file}`));
      if (outcome === 'classified') {
        expect(r.ok, file).toBe(true);
        if (r.ok && r.width !== undefined) expect(checkDimensions(r.width, r.height!), file).toBeNull();
      } else if (outcome === 'decode-failed') expect(r.ok, `${file}: only the decoder can tell`).toBe(true);
      else if (outcome === 'too-large' || outcome === 'too-small') {
        expect(r.ok, file).toBe(true);
        if (r.ok) expect(checkDimensions(r.width!, r.height!)?.reason, file).toBe(outcome);
      } else expect(r.ok ? 'ok' : r.reason, file).toBe(outcome);
    }
  });

  it('names the format it refuses', () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    expect(sniffImage(svg)).toMatchObject({ ok: false, reason: 'unsupported-format', message: expect.stringMatching(/SVG/) });
    const heic = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic'), 0, 0, 0, 0]);
    expect(sniffImage(heic)).toMatchObject({ ok: false, message: expect.stringMatching(/HEIC/) });
    const tiff = new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]);
    expect(sniffImage(tiff)).toMatchObject({ ok: false, message: expect.stringMatching(/TIFF is not supported/) });
    expect(sniffImage(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('does not call a complete file truncated because bytes follow its end', () => {
    const jpg = read('pbc/neutrophil__BNE_2019.jpg');
    const trailer = new TextEncoder().encode('SEFHtrailer written by a phone camera after the EOI');
    expect(sniffImage(new Uint8Array([...jpg, ...trailer]))).toMatchObject({ ok: true, format: 'jpeg', width: 360, height: 363 });
    expect(sniffImage(new Uint8Array([...jpg, 0, 0, 0, 0]))).toMatchObject({ ok: true });
    const png = read('bad/good-copy.png');
    expect(sniffImage(new Uint8Array([...png, ...trailer]))).toMatchObject({ ok: true, format: 'png' });
    expect(sniffImage(png.subarray(0, png.length - 20))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('finds a truncated JPEG even when an EXIF thumbnail before the image data has its own EOI', () => {
    const jpg = read('pbc/neutrophil__BNE_2019.jpg');
    const thumb = [0xff, 0xd8, 0xff, 0xdb, 0, 4, 1, 2, 0xff, 0xd9];
    const app1 = [0xff, 0xe1, 0, 2 + 6 + thumb.length, ...new TextEncoder().encode('Exif\0\0'), ...thumb];
    const withThumb = new Uint8Array([0xff, 0xd8, ...app1, ...jpg.subarray(2)]);
    expect(sniffImage(withThumb)).toMatchObject({ ok: true, width: 360, height: 363 });
    expect(sniffImage(withThumb.subarray(0, withThumb.length / 2))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('reads WebP dimensions from the header, so an oversized WebP is refused before decoding', () => {
    expect(sniffImage(read('bad/cell.webp'))).toMatchObject({ ok: true, format: 'webp', width: 360, height: 363 });
    // VP8X header of a 9000×9000 canvas
    const vp8x = new Uint8Array(30);
    vp8x.set(new TextEncoder().encode('RIFF'), 0);
    vp8x.set(new TextEncoder().encode('WEBPVP8X'), 8);
    vp8x[16] = 10;
    vp8x.set([8999 & 0xff, (8999 >> 8) & 0xff, 0, 8999 & 0xff, (8999 >> 8) & 0xff, 0], 24);
    const r = sniffImage(vp8x);
    expect(r).toMatchObject({ ok: true, format: 'webp', width: 9000, height: 9000 });
    if (r.ok) expect(checkDimensions(r.width!, r.height!)?.reason).toBe('too-large');
  });

  it('tells AVIF from HEIC by all ftyp brands, not only the major one', () => {
    const ftyp = (...brands: string[]) => {
      const [major, ...compat] = brands;
      const size = 16 + 4 * compat.length;
      return new Uint8Array([0, 0, 0, size, ...new TextEncoder().encode(`ftyp${major}`), 0, 0, 0, 0, ...new TextEncoder().encode(compat.join('')), 0, 0, 0, 8]);
    };
    expect(sniffImage(ftyp('mif1', 'mif1', 'avif', 'miaf'))).toMatchObject({ ok: true, format: 'avif' });
    expect(sniffImage(ftyp('avif', 'mif1', 'miaf'))).toMatchObject({ ok: true, format: 'avif' });
    expect(sniffImage(ftyp('mif1', 'mif1', 'heic'))).toMatchObject({ ok: false, reason: 'unsupported-format', message: expect.stringMatching(/HEIC/) });
    expect(sniffImage(read('bad/cell.avif'))).toMatchObject({ ok: true, format: 'avif' });
    expect(sniffImage(read('bad/photo.heic'))).toMatchObject({ ok: false, message: expect.stringMatching(/HEIC/) });
  });

  it('recognises an SVG that opens with a comment or a DOCTYPE', () => {
    const svg = (s: string) => sniffImage(new TextEncoder().encode(s));
    expect(svg('<!-- made by hand -->\n<svg xmlns="http://www.w3.org/2000/svg"></svg>')).toMatchObject({ reason: 'unsupported-format', message: expect.stringMatching(/SVG/) });
    expect(svg('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg></svg>')).toMatchObject({ message: expect.stringMatching(/SVG/) });
    expect(svg('<!DOCTYPE html><html><body><svg></svg></body></html>')).toMatchObject({ reason: 'not-an-image', message: expect.stringMatching(/HTML page/) });
  });

  it('refuses crops under 16 px a side', () => {
    expect(checkDimensions(1, 1)).toMatchObject({ reason: 'too-small', message: 'Image is 1×1 px: too small to show a cell (at least 16 px a side).' });
    expect(checkDimensions(16, 16)).toBeNull();
    expect(checkDimensions(10000, 10)?.reason).toBe('too-large');
  });

  it('limits each side to 8000 px', () => {
    expect(checkDimensions(8000, 8000)).toBeNull();
    expect(checkDimensions(10000, 10)?.message).toMatch(/10000×10 px; the limit is 8000/);
    expect(checkDimensions(0, 5)?.reason).toBe('corrupt');
  });
});
