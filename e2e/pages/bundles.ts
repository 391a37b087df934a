/** Builds model-bundle zips for the import tests from the committed tiny test bundle. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';

export const TINY_DIR = path.resolve(import.meta.dirname, '../../public/models/test-tiny-dinov2');
export const CNN_DIR = path.resolve(import.meta.dirname, '../../public/models/pbc-compact-cnn-v1');

export type BundleFiles = Record<string, Uint8Array>;

export function readBundle(dir: string): BundleFiles {
  const out: BundleFiles = {};
  for (const f of fs.readdirSync(dir)) if (!f.endsWith('.md')) out[f] = new Uint8Array(fs.readFileSync(path.join(dir, f)));
  return out;
}

export function manifestOf(files: BundleFiles): Record<string, any> {
  return JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8'));
}

export function withManifest(files: BundleFiles, edit: (m: Record<string, any>) => void): BundleFiles {
  const m = manifestOf(files);
  edit(m);
  return { ...files, 'manifest.json': new TextEncoder().encode(JSON.stringify(m, null, 2)) };
}

/** The tiny bundle under a new id (built-in ids cannot be imported). */
export function importableTiny(id = 'lab-tiny'): BundleFiles {
  return withManifest(readBundle(TINY_DIR), (m) => {
    m.id = id;
    m.name = `Lab import ${id} (random weights)`;
  });
}

/** Replace a file and record its true size and sha256 in the manifest. */
export function replaceFile(files: BundleFiles, name: string, data: Uint8Array): BundleFiles {
  const sha = createHash('sha256').update(data).digest('hex');
  return withManifest({ ...files, [name]: data }, (m) => {
    for (const v of m.encoder.variants) if (v.file === name) Object.assign(v, { bytes: data.length, sha256: sha });
  });
}

export function zip(files: BundleFiles, folder = 'bundle'): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [`${folder}/${k}`, v]))));
}
