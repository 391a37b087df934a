/**
 * Reads a model bundle (manifest + files) from a URL folder or from in-memory files, validating the
 * manifest and checking every file's size and sha256 before anything is handed to onnxruntime.
 */
import { BundleError, validateManifest, verifyBundleFile, type BundleManifest } from '../src/core/manifest.ts';
import { MODEL_CACHE } from '../src/config.ts';
import type { BundleSource, LoadProgress } from '../src/inference/types.ts';

export interface BundleFiles {
  manifest: BundleManifest;
  read(file: string, expectedBytes: number, onProgress?: (p: LoadProgress) => void, sha256?: string): Promise<Uint8Array>;
  /** Called once a file's sha256 matched: URL bundles keep it for offline use. */
  keep(file: string, sha256: string, data: Uint8Array): Promise<void>;
  /** Drops a cached copy that failed its check; true if there was one (then read again). */
  evict(file: string, sha256: string): Promise<boolean>;
}

export async function fetchWithProgress(url: string, file: string, expected: number, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new BundleError(`Could not download ${file}: ${(e as Error).message}`, file);
  }
  if (!res.ok) throw new BundleError(`Model file ${file} is missing (HTTP ${res.status}).`, file);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const out = new Uint8Array(expected > 0 ? expected : 0);
  let buf = out;
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, loaded + value.length));
      bigger.set(buf.subarray(0, loaded));
      buf = bigger;
    }
    buf.set(value, loaded);
    loaded += value.length;
    onProgress?.({ stage: 'download', file, loaded, total: expected });
  }
  return buf.subarray(0, loaded);
}

/**
 * Model files from URL bundles are kept in Cache Storage after their sha256 has been checked, keyed by
 * URL + sha256: the app then works offline, and a changed manifest (new sha) downloads the new file.
 */

async function modelCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(MODEL_CACHE);
  } catch {
    return null; // e.g. opaque origins or storage disabled: still works, just not offline
  }
}

// The Cache API ignores URL fragments, so the sha256 goes into the query of the key.
const cacheKey = (url: string, sha256?: string): string => (sha256 ? `${url}${url.includes('?') ? '&' : '?'}sha256=${sha256}` : url);

async function fetchManifestText(base: string): Promise<string> {
  const url = `${base}manifest.json`;
  const cache = await modelCache();
  try {
    const res = await fetch(url, { cache: 'no-cache' });
    if (!res.ok) throw new BundleError(`manifest.json is missing (HTTP ${res.status}) at ${base}`, 'manifest.json');
    const text = await res.text();
    await cache?.put(cacheKey(url), new Response(text, { headers: { 'content-type': 'application/json' } })).catch(() => {});
    return text;
  } catch (e) {
    // Offline (or the intranet server is down): fall back to the copy kept from the last visit.
    const cached = await cache?.match(cacheKey(url));
    if (cached) return cached.text();
    if (e instanceof BundleError) throw e;
    throw new BundleError(`Could not download manifest.json from ${base}: ${(e as Error).message}`, 'manifest.json');
  }
}

/** JSON-parse and validate a manifest, with errors that name manifest.json. */
export function parseManifestText(text: string): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BundleError('manifest.json is not valid JSON.', 'manifest.json');
  }
  const checked = validateManifest(json);
  if (!checked.ok) throw new BundleError(`manifest.json is invalid: ${checked.errors.join('; ')}`, 'manifest.json');
  return checked.manifest;
}

export async function openBundle(source: BundleSource): Promise<BundleFiles> {
  let manifestText: string;
  if (source.kind === 'url') {
    const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
    manifestText = await fetchManifestText(base);
  } else {
    const m = source.files['manifest.json'];
    if (!m) throw new BundleError('The bundle has no manifest.json.', 'manifest.json');
    manifestText = await m.text();
  }
  const manifest = parseManifestText(manifestText);

  const servedFromCache = new Set<string>();
  return {
    manifest,
    async read(file, expectedBytes, onProgress, sha256) {
      if (source.kind === 'url') {
        const url = new URL(file, source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`).href;
        const cached = sha256 ? await (await modelCache())?.match(cacheKey(url, sha256)) : undefined;
        if (cached) {
          servedFromCache.add(file);
          return new Uint8Array(await cached.arrayBuffer());
        }
        return fetchWithProgress(url, file, expectedBytes, onProgress);
      }
      const blob = source.files[file];
      if (!blob) throw new BundleError(`Model file ${file} is missing from the bundle.`, file);
      return new Uint8Array(await blob.arrayBuffer());
    },
    async evict(file, sha256) {
      if (source.kind !== 'url' || !servedFromCache.delete(file)) return false;
      const url = new URL(file, source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`).href;
      await (await modelCache())?.delete(cacheKey(url, sha256));
      return true;
    },
    async keep(file, sha256, data) {
      if (source.kind !== 'url' || servedFromCache.has(file)) return;
      const url = new URL(file, source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`).href;
      const cache = await modelCache();
      // A full quota only costs offline use of this model, never the classification itself.
      await cache?.put(cacheKey(url, sha256), new Response(data.slice().buffer)).catch(() => {});
    },
  };
}

/** Read + size/sha256 check in one step: nothing unverified reaches a session. */
export async function readVerified(
  bundle: BundleFiles,
  entry: { file: string; bytes: number; sha256: string },
  onProgress?: (p: LoadProgress) => void,
): Promise<Uint8Array> {
  let data = await bundle.read(entry.file, entry.bytes, onProgress, entry.sha256);
  onProgress?.({ stage: 'verify', file: entry.file });
  try {
    await verifyBundleFile(entry, data);
  } catch (e) {
    // A damaged cached copy is dropped and downloaded again; a damaged download is the bundle's fault.
    if (!(await bundle.evict(entry.file, entry.sha256))) throw e;
    data = await bundle.read(entry.file, entry.bytes, onProgress, entry.sha256);
    await verifyBundleFile(entry, data);
  }
  await bundle.keep(entry.file, entry.sha256, data);
  return data;
}
