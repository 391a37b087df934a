/**
 * Turns what a user offers as a model bundle (dropped folder files, a .zip, or the URL of a
 * manifest.json) into a flat name → Blob map. Runs in a worker so unzipping a large encoder never
 * blocks the page.
 */
import { manifestFiles } from '../src/core/bundleExport.ts';
import { filesFromZip } from '../src/core/bundleZip.ts';
import { BundleError } from '../src/core/manifest.ts';
import { fetchWithProgress, parseManifestText } from './bundleReader.ts';

import type { BundleOffer } from '../src/inference/types.ts';


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
  const wanted = manifestFiles(m);
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
