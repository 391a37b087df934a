/** Cases (one sample each: metadata + audit trail) in IndexedDB; their cells live in db.ts by caseId. */
import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import type { CaseRecord } from '../core/case.ts';
import { StorageError } from './db.ts';

let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('dinobloom-cases', 'cases'));

export async function listCases(): Promise<CaseRecord[]> {
  return (await values<CaseRecord>(db())).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function getCase(id: string): Promise<CaseRecord | undefined> {
  return get<CaseRecord>(id, db());
}

export async function saveCase(c: CaseRecord): Promise<void> {
  try {
    await set(c.id, c, db());
  } catch (e) {
    const err = e as DOMException;
    throw new StorageError(
      err?.name === 'QuotaExceededError'
        ? `Browser storage is full: case "${c.sampleId || c.id}" could not be saved. It stays open in this tab; export it.`
        : `Could not save case "${c.sampleId || c.id}": ${err?.message ?? String(e)}`,
      err?.name === 'QuotaExceededError',
    );
  }
}

export async function deleteCaseRecord(id: string): Promise<void> {
  await del(id, db());
}
