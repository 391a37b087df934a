/**
 * Imported model bundles in IndexedDB: the files under `<id>/<file>` and one index entry per bundle.
 * Each import writes its files under a fresh prefix and the index entry last, so a bundle is either
 * fully there or not listed, a failed import deletes only what it wrote, and re-importing a bundle
 * with the same id never damages the copy already stored.
 */
import { createStore, del, delMany, get, getMany, set, values, type UseStore } from 'idb-keyval';
import type { BundleManifest } from '../core/manifest.ts';
import { StorageError } from './db.ts';

export interface StoredBundle {
  id: string;
  manifest: BundleManifest;
  origin: 'folder' | 'zip' | 'url' | 'converted';
  /** Where a URL import came from (shown in the panel). */
  sourceUrl?: string;
  importedAt: number;
  bytes: number;
  files: string[];
  /** Key prefix of this import's files. */
  prefix: string;
}

let stores: { index: UseStore; files: UseStore } | null = null;
function db() {
  stores ??= { index: createStore('dinobloom-bundles-index', 'index'), files: createStore('dinobloom-bundles-files', 'files') };
  return stores;
}

const fileKey = (prefix: string, file: string): string => `${prefix}/${file}`;

export async function listBundles(): Promise<StoredBundle[]> {
  return (await values<StoredBundle>(db().index)).sort((a, b) => a.importedAt - b.importedAt);
}

export async function getBundle(id: string): Promise<StoredBundle | undefined> {
  return get<StoredBundle>(id, db().index);
}

export async function readBundleFiles(entry: StoredBundle): Promise<Record<string, Blob>> {
  const blobs = await getMany<Blob>(entry.files.map((f) => fileKey(entry.prefix, f)), db().files);
  const out: Record<string, Blob> = {};
  entry.files.forEach((f, i) => {
    const b = blobs[i];
    if (b) out[f] = b;
  });
  return out;
}

/** `signal`: abort between files (a cancelled conversion); what was written is deleted, nothing is listed. */
export async function saveBundle(entry: Omit<StoredBundle, 'files' | 'bytes' | 'prefix'>, files: Record<string, Blob>, opts: { signal?: AbortSignal } = {}): Promise<StoredBundle> {
  const names = Object.keys(files);
  const prefix = `${entry.id}@${entry.importedAt}`;
  const previous = await getBundle(entry.id);
  const written: string[] = [];
  try {
    // One file per transaction keeps memory bounded for large encoders.
    for (const name of names) {
      opts.signal?.throwIfAborted();
      await set(fileKey(prefix, name), files[name]!, db().files);
      written.push(fileKey(prefix, name));
    }
    const stored: StoredBundle = { ...entry, prefix, files: names, bytes: names.reduce((s, n) => s + files[n]!.size, 0) };
    opts.signal?.throwIfAborted();
    await set(entry.id, stored, db().index);
    if (previous) await delMany(previous.files.map((f) => fileKey(previous.prefix, f)), db().files).catch(() => {});
    return stored;
  } catch (e) {
    await delMany(written, db().files).catch(() => {});
    if (opts.signal?.aborted) throw e;
    const err = e as DOMException;
    const quota = err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message));
    throw new StorageError(
      quota
        ? `Not enough browser storage to keep "${entry.manifest.name}" (${(names.reduce((s, n) => s + files[n]!.size, 0) / 1e6).toFixed(1)} MB). Nothing was imported; free space or remove another model.`
        : `Could not store the model: ${err?.message ?? String(e)}`,
      quota,
    );
  }
}

export async function deleteBundle(id: string): Promise<void> {
  const entry = await getBundle(id);
  await del(id, db().index);
  if (entry) await delMany(entry.files.map((f) => fileKey(entry.prefix, f)), db().files);
}

