/**
 * Reads a model bundle (manifest + files) from a URL folder or from in-memory files, validating the
 * manifest and checking every file's size and sha256 before anything is handed to onnxruntime.
 */
import { BundleError, validateManifest, verifyBundleFile, type BundleManifest } from '../src/core/manifest.ts';
import type { BundleSource, LoadProgress } from '../src/inference/types.ts';

export interface BundleFiles {
  manifest: BundleManifest;
  read(file: string, expectedBytes: number, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array>;
}

async function fetchWithProgress(url: string, file: string, expected: number, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array> {
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

export async function openBundle(source: BundleSource): Promise<BundleFiles> {
  let manifestText: string;
  if (source.kind === 'url') {
    const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
    const res = await fetch(`${base}manifest.json`).catch((e: Error) => {
      throw new BundleError(`Could not download manifest.json: ${e.message}`, 'manifest.json');
    });
    if (!res.ok) throw new BundleError(`manifest.json is missing (HTTP ${res.status}) at ${base}`, 'manifest.json');
    manifestText = await res.text();
  } else {
    const m = source.files['manifest.json'];
    if (!m) throw new BundleError('The bundle has no manifest.json.', 'manifest.json');
    manifestText = await m.text();
  }
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch {
    throw new BundleError('manifest.json is not valid JSON.', 'manifest.json');
  }
  const checked = validateManifest(json);
  if (!checked.ok) throw new BundleError(`manifest.json is invalid: ${checked.errors.join('; ')}`, 'manifest.json');
  const manifest = checked.manifest;

  return {
    manifest,
    async read(file, expectedBytes, onProgress) {
      if (source.kind === 'url') {
        const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
        return fetchWithProgress(`${base}${file}`, file, expectedBytes, onProgress);
      }
      const blob = source.files[file];
      if (!blob) throw new BundleError(`Model file ${file} is missing from the bundle.`, file);
      return new Uint8Array(await blob.arrayBuffer());
    },
  };
}

/** Read + size/sha256 check in one step: nothing unverified reaches a session. */
export async function readVerified(
  bundle: BundleFiles,
  entry: { file: string; bytes: number; sha256: string },
  onProgress?: (p: LoadProgress) => void,
): Promise<Uint8Array> {
  const data = await bundle.read(entry.file, entry.bytes, onProgress);
  onProgress?.({ stage: 'verify', file: entry.file });
  await verifyBundleFile(entry, data);
  return data;
}
