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
    cells.push({ name: `r${Math.floor(i / files.length)}_${basename(f)}`, mimeType: mime(f), buffer: readFileSync(join(dir, f)) });
  }
  return { source: `${dir} (${files.length} fixtures repeated to ${n})`, cells };
}

/**
 * n cells: an evenly spread subset when n is smaller than the set (so every class is represented),
 * the set repeated under distinct names when it is larger.
 */
export function takeCells(set: CellSet, n: number): Cell[] {
  const all = set.cells;
  if (n <= all.length) return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  return Array.from({ length: n }, (_, i) => {
    const c = all[i % all.length]!;
    return i < all.length ? c : { ...c, name: `copy${Math.floor(i / all.length)}__${c.name}` };
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
