/**
 * The benchmark's cells: real PBC crops, `../shared/datasets/pbc/val` when present (round-robin across
 * the classes), else the repo fixtures (e2e/fixtures/pbc, repeated under distinct names). Read once
 * into memory; the browser and native runs get the same bytes.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { listDataset } from '../../tools/cli/lib.ts';

export interface Cell {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export interface CellSet {
  source: string;
  cells: Cell[];
}

const mime = (f: string): string => (/\.png$/i.test(f) ? 'image/png' : /\.bmp$/i.test(f) ? 'image/bmp' : 'image/jpeg');

export function loadCells(repo: string, n: number, dataDir?: string): CellSet {
  const shared = dataDir ?? resolve(repo, '../shared/datasets/pbc/val');
  if (existsSync(shared)) {
    const ds = listDataset(shared, n);
    return {
      source: `${shared} (${ds.items.length} crops, round-robin over ${ds.classes.length} classes)`,
      cells: ds.items.map((it) => ({ name: it.file.replace(/\//g, '__'), mimeType: mime(it.file), buffer: readFileSync(it.path) })),
    };
  }
  const dir = join(repo, 'e2e/fixtures/pbc');
  const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const cells: Cell[] = [];
  for (let i = 0; cells.length < n; i++) {
    const f = files[i % files.length]!;
    const round = Math.floor(i / files.length);
    const bytes = readFileSync(join(dir, f));
    cells.push({ name: `r${round}_${basename(f)}`, mimeType: mime(f), buffer: round > 0 && mime(f) === 'image/jpeg' ? withJpegComment(bytes, `bench round ${round}`) : bytes });
  }
  return { source: `${dir} (${files.length} fixtures repeated to ${n})`, cells };
}

/**
 * A JPEG with a comment (COM segment) inserted right after its SOI marker: the same image, other
 * bytes. The app refuses a file identical to one already in the case (sha256 of its bytes), so a run
 * that repeats the set must not repeat the bytes; decoders skip comments, so the pixels are the same.
 */
export function withJpegComment(jpeg: Buffer, text: string): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG (no SOI marker)');
  const body = Buffer.from(text, 'latin1');
  const seg = Buffer.alloc(4 + body.length);
  seg.writeUInt16BE(0xfffe, 0);
  seg.writeUInt16BE(body.length + 2, 2);
  body.copy(seg, 4);
  return Buffer.concat([jpeg.subarray(0, 2), seg, jpeg.subarray(2)]);
}

/**
 * n cells: an evenly spread subset when n is smaller than the set (so every class is represented),
 * the set repeated under distinct names (and, for JPEGs, distinct bytes: see withJpegComment) when it is larger.
 */
export function takeCells(set: CellSet, n: number): Cell[] {
  const all = set.cells;
  if (n <= all.length) return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  return Array.from({ length: n }, (_, i) => {
    const c = all[i % all.length]!;
    if (i < all.length) return c;
    const copy = Math.floor(i / all.length);
    const buffer = c.mimeType === 'image/jpeg' ? withJpegComment(c.buffer, `bench copy ${copy}`) : c.buffer;
    return { ...c, name: `copy${copy}__${c.name}`, buffer };
  });
}

/**
 * Writes the cells as files (once) and returns their paths: the browser then reads them itself
 * (CDP DOM.setFileInputFiles), as with a real file picker — passing buffers instead would make
 * Playwright build the File objects with JavaScript on the page's main thread.
 */
export function cellFiles(cells: Cell[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return cells.map((c) => {
    const p = join(dir, c.name);
    if (!existsSync(p) || statSync(p).size !== c.buffer.length) writeFileSync(p, c.buffer);
    return p;
  });
}
