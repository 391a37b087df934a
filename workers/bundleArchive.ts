/**
 * Turns what a user offers as a model bundle (dropped folder files, a .zip, or the URL of a
 * manifest.json) into a flat name → Blob map. Runs in a worker so unzipping a large encoder never
 * blocks the page.
 */
import { unzipSync, type Unzipped } from 'fflate';
import { BundleError } from '../src/core/manifest.ts';
import { fetchWithProgress, parseManifestText } from './bundleReader.ts';

import type { BundleOffer } from '../src/inference/types.ts';


/**
 * Zips often wrap the bundle in a folder: take the folder that holds manifest.json as the root.
 * `skip`: entries that are listed but not inflated (they come back as empty Blobs, present but not
 * read) — the page peeks at a small zip this way without inflating its encoder on the main thread.
 */
export async function filesFromZip(zip: Blob, name: string, opts: { skip?: (path: string) => boolean } = {}): Promise<Record<string, Blob>> {
  let entries: Unzipped;
  const skipped: string[] = [];
  try {
    // Synchronous on purpose: fflate's async mode would spawn blob: workers, which the app's CSP
    // forbids. In the worker that is off the main thread; the page uses it only with `skip`.
    const skip = opts.skip;
    const filter = (f: { name: string }): boolean => {
      if (!skip?.(f.name)) return true;
      skipped.push(f.name);
      return false;
    };
    entries = unzipSync(new Uint8Array(await zip.arrayBuffer()), skip ? { filter } : undefined);
    for (const p of skipped) entries[p] = new Uint8Array(0);
  } catch (e) {
    throw new BundleError(`${name} is not a readable .zip file (${(e as Error).message}).`, name);
  }
  const manifestPath = Object.keys(entries)
    .filter((p) => p === 'manifest.json' || p.endsWith('/manifest.json'))
    .sort((a, b) => a.length - b.length)[0];
  if (!manifestPath) throw new BundleError(`${name} has no manifest.json: it is not a model bundle.`, 'manifest.json');
  const root = manifestPath.slice(0, -'manifest.json'.length);
  const out: Record<string, Blob> = {};
  for (const [path, bytes] of Object.entries(entries)) {
    if (!path.startsWith(root) || path.endsWith('/')) continue;
    const rel = path.slice(root.length);
    if (!rel.includes('/')) out[rel] = new Blob([bytes.slice().buffer]);
  }
  return out;
}

async function filesFromUrl(manifestUrl: string, onProgress?: (file: string, loaded: number, total: number) => void): Promise<Record<string, Blob>> {
  let url: URL;
  try {
    url = new URL(manifestUrl);
  } catch {
    throw new BundleError(`"${manifestUrl}" is not a valid URL.`, 'manifest.json');
  }
  const get = async (u: URL, file: string): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(u, { cache: 'no-cache' });
    } catch (e) {
      throw new BundleError(`Could not download ${file} from ${u.origin} (${(e as Error).message}); check the address and that the server allows it.`, file);
    }
    if (!res.ok) throw new BundleError(`${file} is missing at ${u.href} (HTTP ${res.status}).`, file);
    return res;
  };
  const manifestText = await (await get(url, 'manifest.json')).text();
  const m = parseManifestText(manifestText);
  const out: Record<string, Blob> = { 'manifest.json': new Blob([manifestText], { type: 'application/json' }) };
  const wanted = [...m.encoder.variants.map((v) => ({ file: v.file, bytes: v.bytes })), ...(m.head ? [{ file: m.head.file, bytes: m.head.bytes }] : []), ...(m.shift ? [{ file: m.shift.file, bytes: m.shift.bytes }] : [])];
  for (const w of wanted) {
    const data = await fetchWithProgress(new URL(w.file, url).href, w.file, w.bytes, (p) => onProgress?.(w.file, p.loaded ?? 0, w.bytes));
    out[w.file] = new Blob([data.slice().buffer]);
  }
  return out;
}

export async function offerToFiles(offer: BundleOffer, onProgress?: (file: string, loaded: number, total: number) => void): Promise<Record<string, Blob>> {
  if (offer.kind === 'files') return offer.files;
  if (offer.kind === 'zip') return filesFromZip(offer.zip, offer.name);
  return filesFromUrl(offer.manifestUrl, onProgress);
}
