/** Storage usage/quota, persistence, and the Cache Storage copies of built-in/URL model files. */
import { MODEL_CACHE } from '../config.ts';

export interface StorageInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export async function storageInfo(): Promise<StorageInfo> {
  const s = navigator.storage;
  const est = await s?.estimate?.().catch(() => undefined);
  const persisted = (await s?.persisted?.().catch(() => null)) ?? null;
  return { usage: est?.usage ?? null, quota: est?.quota ?? null, persisted };
}

/** Asks the browser not to evict this origin's data under disk pressure. Resolves to the outcome. */
export async function requestPersistence(): Promise<boolean> {
  return (await navigator.storage?.persist?.().catch(() => false)) ?? false;
}

export interface CachedModel {
  /** Folder URL of the bundle (what the entries share). */
  base: string;
  files: number;
  bytes: number;
}

export async function listCachedModels(): Promise<CachedModel[]> {
  if (typeof caches === 'undefined' || !(await caches.has(MODEL_CACHE))) return [];
  const cache = await caches.open(MODEL_CACHE);
  const by = new Map<string, CachedModel>();
  for (const req of await cache.keys()) {
    const url = req.url.split('#')[0]!;
    const base = url.slice(0, url.lastIndexOf('/') + 1);
    const entry = by.get(base) ?? { base, files: 0, bytes: 0 };
    const res = await cache.match(req);
    entry.files++;
    entry.bytes += Number(res?.headers.get('content-length')) || (await res?.clone().blob())?.size || 0;
    by.set(base, entry);
  }
  return [...by.values()];
}

export async function removeCachedModel(base: string): Promise<void> {
  const cache = await caches.open(MODEL_CACHE);
  for (const req of await cache.keys()) if (req.url.startsWith(base)) await cache.delete(req);
}

export function formatBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
