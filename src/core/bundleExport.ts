/**
 * A model bundle as one .zip: `<id>/manifest.json`, every encoder variant, the head when there is one
 * (and any further files the caller adds). What another workstation imports with "Import .zip…" and
 * what `npm run evaluate` reads once unzipped. Every file is checked against the manifest's bytes and
 * sha256 while it is zipped, so an export never carries a damaged file.
 *
 * Reusable for other bundle exports (e.g. a lab head as a bundle): pass the manifest to write and the
 * files it names.
 */
import { BundleError, type BundleManifest } from './manifest.ts';
import { buildStoredZip, type ZipOptions } from './zipWriter.ts';

export interface BundleZip {
  blob: Blob;
  /** suggested download name, e.g. "dinobloom-s-1.0.zip" */
  fileName: string;
  /** the files in the zip, without the folder (manifest.json first) */
  files: string[];
}

/** Every file a manifest names: encoder variants, the second view's own gate, the head, the shift statistics. */
export function manifestFiles(manifest: Pick<BundleManifest, 'encoder' | 'head' | 'shift'>): { file: string; bytes: number; sha256: string }[] {
  const gate = manifest.encoder.secondView?.gate;
  return [...manifest.encoder.variants, ...(gate ? [gate] : []), ...(manifest.head ? [manifest.head] : []), ...(manifest.shift ? [manifest.shift] : [])];
}

/** The files of a head-only bundle (a lab head exported without its encoder): head and shift statistics. */
export function headFiles(manifest: Pick<BundleManifest, 'head' | 'shift'>): { file: string; bytes: number; sha256: string }[] {
  return [...(manifest.head ? [manifest.head] : []), ...(manifest.shift ? [manifest.shift] : [])];
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/gu, '-');

/**
 * Zips a bundle. `files` must hold every file the manifest names (extra entries, e.g. a stored
 * manifest.json, are ignored unless listed in `extra`); manifest.json is written from `manifest`.
 */
export async function buildBundleZip(
  manifest: BundleManifest,
  files: Record<string, Blob>,
  opts: Omit<ZipOptions, 'sha256'> & { extra?: string[]; folder?: string; withoutEncoder?: boolean } = {},
): Promise<BundleZip> {
  // without the encoder: the manifest still names (and pins by sha256) the encoder files it needs
  const listed = opts.withoutEncoder ? headFiles(manifest) : manifestFiles(manifest);
  for (const e of listed) {
    const b = files[e.file];
    if (!b) throw new BundleError(`${e.file} is missing: the bundle cannot be exported.`, e.file);
    if (b.size !== e.bytes) throw new BundleError(`${e.file} has ${b.size} bytes but the manifest says ${e.bytes}: not exported.`, e.file);
  }
  for (const x of opts.extra ?? []) if (!files[x]) throw new BundleError(`${x} is missing: the bundle cannot be exported.`, x);
  const folder = opts.folder ?? safe(manifest.id);
  const names = ['manifest.json', ...listed.map((e) => e.file), ...(opts.extra ?? [])];
  const manifestBlob = new Blob([`${JSON.stringify(manifest, null, 2)}\n`], { type: 'application/json' });
  const { blob, sha256 } = await buildStoredZip(
    names.map((n) => ({ name: `${folder}/${n}`, data: n === 'manifest.json' ? manifestBlob : files[n]! })),
    { ...opts, sha256: true },
  );
  for (const e of listed) {
    if (sha256[`${folder}/${e.file}`] !== e.sha256) throw new BundleError(`${e.file} does not match its sha256 in the manifest (damaged in storage?): not exported.`, e.file);
  }
  return { blob, fileName: `${safe(manifest.id)}-${safe(manifest.version)}.zip`, files: names };
}
