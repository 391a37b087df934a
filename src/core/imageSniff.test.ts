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
    for (const [file, outcome] of Object.entries(expected)) {
      const r = sniffImage(read(`bad/${file}`));
      if (outcome === 'classified') expect(r.ok, file).toBe(true);
      else if (outcome === 'too-large') {
        expect(r.ok, file).toBe(true);
        if (r.ok) expect(checkDimensions(r.width!, r.height!)?.reason).toBe('too-large');
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

  it('limits each side to 8000 px', () => {
    expect(checkDimensions(8000, 8000)).toBeNull();
    expect(checkDimensions(10000, 10)?.message).toMatch(/10000×10 px; the limit is 8000/);
    expect(checkDimensions(0, 5)?.reason).toBe('corrupt');
  });
});
