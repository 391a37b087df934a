/**
 * IndexedDB persistence through idb-keyval. Metadata and image bytes live in separate databases so
 * the session list loads without pulling every image into memory; thumbnails read blobs lazily.
 * Writes are batched (one transaction per flush) and a refused write (quota) is reported, never
 * silently dropped: the session stays in memory and export still works.
 */
import { createStore, delMany, entries, get, getMany, set, setMany, type UseStore } from 'idb-keyval';
import type { Cell } from '../core/cell.ts';

let stores: { cells: UseStore; images: UseStore; meta: UseStore } | null = null;
function db() {
  stores ??= {
    cells: createStore('dinobloom-cells', 'cells'),
    images: createStore('dinobloom-images', 'images'),
    meta: createStore('dinobloom-meta', 'meta'),
  };
  return stores;
}

export class StorageError extends Error {
  constructor(message: string, readonly quota: boolean) {
    super(message);
    this.name = 'StorageError';
  }
}

function wrap(e: unknown, what: string): StorageError {
  const err = e as DOMException;
  const quota = err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message));
  return new StorageError(
    quota
      ? `Browser storage is full, so ${what} could not be saved. Your session is still open in this tab and can be exported; free space or export before closing.`
      : `Could not save ${what}: ${err?.message ?? String(e)}`,
    quota,
  );
}

export async function saveImages(images: [string, Blob][]): Promise<void> {
  try {
    await setMany(images, db().images);
  } catch (e) {
    throw wrap(e, `${images.length} image(s)`);
  }
}

export async function loadImage(id: string): Promise<Blob | undefined> {
  return get<Blob>(id, db().images);
}

export async function loadImages(ids: string[]): Promise<(Blob | undefined)[]> {
  return getMany<Blob>(ids, db().images);
}

export async function saveCells(cells: Cell[]): Promise<void> {
  if (cells.length === 0) return;
  try {
    await setMany(cells.map((c) => [c.id, c] as [string, Cell]), db().cells);
  } catch (e) {
    throw wrap(e, `${cells.length} cell result(s)`);
  }
}

/** All cells of one case, in the order they were added. */
export async function loadCells(caseId: string): Promise<Cell[]> {
  const all = await entries<string, Cell>(db().cells);
  return all
    .map(([, c]) => c)
    .filter((c) => c.caseId === caseId)
    .sort((a, b) => a.addedAt - b.addedAt || a.id.localeCompare(b.id));
}

/** Cells stored before cases existed, so they can be adopted by the first case. */
export async function loadOrphanCells(): Promise<Cell[]> {
  const all = await entries<string, Cell>(db().cells);
  return all.map(([, c]) => c).filter((c) => !c.caseId);
}

export async function deleteCells(ids: string[]): Promise<void> {
  await delMany(ids, db().cells);
  await delMany(ids, db().images);
}

export async function saveMeta<T>(key: string, value: T): Promise<void> {
  try {
    await set(key, value, db().meta);
  } catch (e) {
    throw wrap(e, key);
  }
}

export async function loadMeta<T>(key: string): Promise<T | undefined> {
  return get<T>(key, db().meta);
}
