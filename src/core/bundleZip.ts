/**
 * A zipped model bundle as a flat name → Blob map (pure: used by the bundle worker, and by the page
 * to peek at a small zip).
 */
import { unzipSync, type Unzipped } from 'fflate';
import { BundleError } from './manifest.ts';

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
