/**
 * `npm run embed` reads every format the app reads (JPEG, PNG, BMP, GIF, WebP, AVIF: the committed
 * crops of e2e/fixtures/bad), skips what the app refuses with the app's message, and fails (exit 1,
 * naming every file) on a folder without a usable image.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEmbeddings } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BAD = join(ROOT, 'e2e/fixtures/bad');
const BUNDLE = join(ROOT, 'public/models/test-tiny-dinov2');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function embed(data: string, out: string) {
  return spawnSync(TSX, [join(ROOT, 'tools/cli/embed.ts'), '--bundle', BUNDLE, '--data', data, '--out', out, '--precision', 'fp32'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

function folder(root: string, files: Record<string, string | null>): void {
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(join(root, to, '..'), { recursive: true });
    if (from === null) writeFileSync(join(root, to), 'not an image\n');
    else copyFileSync(join(BAD, from), join(root, to));
  }
}

describe('npm run embed on every format the app reads', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dinobloom-embed-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('embeds JPEG, PNG, BMP, GIF, WebP and AVIF; skips the rest with the app’s message', () => {
    const data = join(tmp, 'lab');
    folder(data, {
      'a/good-copy.bmp': 'good-copy.bmp',
      'a/cell.webp': 'cell.webp',
      'a/cell.avif': 'cell.avif',
      'a/notes.jpg': 'notes.jpg',
      'a/.DS_Store': null,
      'b/good-copy.png': 'good-copy.png',
      'b/animated.gif': 'animated.gif',
      'b/cmyk.jpg': 'cmyk.jpg',
      'b/patient 2/exif-rotated.jpg': 'exif-rotated.jpg',
      'b/scan.tiff': 'cells.tiff',
      'b/readme.txt': null,
    });
    const out = join(tmp, 'lab.emb');
    const r = embed(data, out);
    expect(r.status, r.stderr).toBe(0);
    const f = readEmbeddings(out);
    expect(f.header.classes).toEqual(['a', 'b']);
    expect(f.header.files).toEqual(['a/cell.avif', 'a/cell.webp', 'a/good-copy.bmp', 'b/animated.gif', 'b/cmyk.jpg', 'b/good-copy.png', 'b/patient 2/exif-rotated.jpg']);
    expect(f.embeddings.every(Number.isFinite)).toBe(true);
    // the BMP and the PNG hold the same pixels: the same embedding
    const D = f.header.d;
    const row = (name: string) => Array.from(f.embeddings.subarray(f.header.files.indexOf(name) * D, (f.header.files.indexOf(name) + 1) * D));
    expect(row('a/good-copy.bmp')).toEqual(row('b/good-copy.png'));
    expect(r.stderr).toContain('warning: skipped a/notes.jpg: Not an image: this looks like a text file.');
    expect(r.stderr).toContain('warning: skipped b/scan.tiff: TIFF is not supported: export the crops as JPEG or PNG.');
    expect(r.stderr).toContain('warning: skipped b/readme.txt: Not an image file (.txt).');
    expect(r.stderr).toContain('note: 1 image in sub-folders of "b" (e.g. "b/patient 2/exif-rotated.jpg") read as class "b".');
    expect(r.stderr).not.toContain('.DS_Store: ');
  });

  it('a folder with no usable image is an error naming what was skipped', () => {
    const data = join(tmp, 'unusable');
    folder(data, { 'a/truncated.jpg': 'truncated.jpg', 'a/tiny.png': 'tiny-1x1.png', 'b/page.png': 'page.png', 'b/photo.heic': 'photo.heic' });
    const out = join(tmp, 'unusable.emb');
    const r = embed(data, out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: no usable image in .*unusable: all 4 files skipped:/);
    expect(r.stderr).toContain('b/photo.heic: HEIC/HEIF images are not supported by the browser: export the crops as JPEG or PNG.');
    expect(r.stderr).toContain('a/truncated.jpg: Truncated JPEG: the file ends before the image data does.');
    expect(r.stderr).toContain('a/tiny.png: Image is 1×1 px: too small to show a cell (at least 16 px a side).');
    expect(r.stderr).toContain('b/page.png: Not an image: this looks like an HTML page.');
  });
});
