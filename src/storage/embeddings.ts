/**
 * Encoder embeddings in IndexedDB, keyed by encoder + image content: `<encoder key>|<image sha256>`
 * (encoder key = `<bundle id>:<encoder variant sha256>`, see LoadedModel.encoderKey). The same image
 * embedded by the same encoder file is never embedded twice — for lab-head training (a 20,000-cell
 * folder keeps only these vectors, never decoded images), for re-classifying a case with another head
 * and for the embedding map. Cells without a content hash (added before hashing existed) use their id.
 */
import { createStore, delMany, getMany, keys, setMany, type UseStore } from 'idb-keyval';
import { StorageError } from './db.ts';

let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('dinobloom-embeddings', 'embeddings'));

export function embeddingKey(encoderKey: string, image: { imageHash?: string; id?: string }): string {
  return `${encoderKey}|${image.imageHash ?? `cell:${image.id ?? ''}`}`;
}

export async function saveEmbeddings(entries: [string, Float32Array][]): Promise<void> {
  if (entries.length === 0) return;
  try {
    await setMany(entries, db());
  } catch (e) {
    const err = e as DOMException;
    const quota = err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message));
    throw new StorageError(
      quota
        ? `Browser storage is full: ${entries.length} embedding(s) could not be kept (they will be computed again when needed).`
        : `Could not save embeddings: ${err?.message ?? String(e)}`,
      quota,
    );
  }
}

/** The stored vectors for `keys`, undefined where none is stored. */
export async function loadEmbeddings(ks: string[]): Promise<(Float32Array | undefined)[]> {
  if (ks.length === 0) return [];
  return getMany<Float32Array>(ks, db());
}

/** Removes every embedding of an encoder (its bundle was deleted). */
export async function deleteEncoderEmbeddings(encoderKeyPrefix: string): Promise<void> {
  const all = (await keys<string>(db())).filter((k) => typeof k === 'string' && k.startsWith(`${encoderKeyPrefix}`));
  await delMany(all, db());
}
