/**
 * Lab heads in IndexedDB: one entry per trained head (the lab-head record of src/core/training,
 * stored as its JSON object), listed by encoder. Which head each bundle uses is kept in the meta store
 * (db.ts, key ACTIVE_HEADS_KEY). A write that the browser refuses (quota) leaves the previous state.
 */
import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import { StorageError } from './db.ts';

export interface StoredHead {
  id: string;
  /** the bundle (manifest id) whose encoder the head reads */
  encoderId: string;
  /** the encoder's embedding dimension (a head for another dimension is refused) */
  inputDim: number;
  name: string;
  /** 1, 2, 3 … per encoder, in the order heads were trained */
  version: string;
  createdAt: string;
  classes: string[];
  /** C × D row-major, applies to raw embeddings (standardisation and temperature folded in) */
  weight: Float32Array;
  bias: Float32Array;
  /** the full lab-head record (training summary, k-fold metrics, shift statistics) as JSON */
  record: unknown;
  /** what it was trained on, as embeddings-cache keys + labels, so it can be retrained with more cells */
  trainingItems?: { key: string; label: string }[];
}

export const ACTIVE_HEADS_KEY = 'activeHeads';

let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('dinobloom-heads', 'heads'));

export async function listHeads(): Promise<StoredHead[]> {
  return (await values<StoredHead>(db())).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export async function getHead(id: string): Promise<StoredHead | undefined> {
  return get<StoredHead>(id, db());
}

export async function saveHead(entry: StoredHead): Promise<void> {
  try {
    await set(entry.id, entry, db());
  } catch (e) {
    const err = e as DOMException;
    const quota = err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message));
    throw new StorageError(
      quota
        ? `Browser storage is full: head "${entry.name}" could not be saved. Nothing was changed; the previous head stays active. Free space (Models → Storage) and try again.`
        : `Could not save head "${entry.name}": ${err?.message ?? String(e)}`,
      quota,
    );
  }
}

export async function deleteHead(id: string): Promise<void> {
  await del(id, db());
}
