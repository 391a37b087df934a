/**
 * Converting a DinoBloom checkpoint into a stored bundle, and exporting any stored bundle as a .zip.
 * The conversion runs in its own worker; the result is stored like an imported bundle (nothing is
 * listed unless every file was written) and is not activated: a converted encoder has no head yet,
 * and the active model never changes because of a conversion, failed or not.
 */
import { buildBundleZip, type BundleZip } from '../core/bundleExport.ts';
import { convertCheckpoint } from '../inference/convertClient.ts';
import type { ConvertResult } from '../inference/convertTypes.ts';
import type { BundleManifest } from '../core/manifest.ts';
import { BUILTIN_MODELS } from '../config.ts';
import { getBundle, listBundles, readBundleFiles, saveBundle } from '../storage/bundles.ts';
import { StorageError } from '../storage/db.ts';
import { formatBytes, storageInfo } from '../storage/quota.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

let abort: AbortController | null = null;

const KEEP = 'The active model was not changed.';

/**
 * The id to store under: the size's default id, unless another bundle (a different checkpoint, or an
 * imported one) already has it — re-converting the same file replaces its own earlier conversion.
 */
async function storageId(manifest: BundleManifest): Promise<string> {
  const installed = await listBundles().catch(() => []);
  const mine = (id: string): boolean => {
    const b = installed.find((x) => x.id === id);
    return !b || (b.origin === 'converted' && b.manifest.convertedFrom?.sha256 === manifest.convertedFrom?.sha256);
  };
  const taken = (id: string): boolean => BUILTIN_MODELS.some((m) => m.id === id) || !mine(id);
  if (!taken(manifest.id)) return manifest.id;
  for (let n = 2; ; n++) if (!taken(`${manifest.id}-${n}`)) return `${manifest.id}-${n}`;
}

function summary(r: ConvertResult, id: string): string {
  const { report, manifest } = r;
  const int8 = report.verification.int8!;
  const precisions = manifest.encoder.variants.map((v) => v.precision).join(' + ');
  return (
    `Converted ${report.official ? 'the official file ' : ''}${manifest.convertedFrom?.file} (${report.layout}) into "${manifest.name}" (${id}): ` +
    `${precisions} verified — int8 vs fp32 cosine ≥ ${int8.minCosine.toFixed(4)} on ${report.crops} PBC crops. ` +
    'It needs a classification head before it can classify cells. ' + KEEP
  );
}

export async function convertCheckpointFile(file: File): Promise<boolean> {
  if (get().converting) return false;
  let what = 'the converted encoder';
  abort = new AbortController();
  const signal = abort.signal;
  set({ converting: { file: file.name, stage: 'read', fraction: 0, startedAt: Date.now() }, convertError: null, convertMessage: null, convertedId: null });
  try {
    const outcome = await convertCheckpoint(file, { fp16: 'auto' }, {
      signal,
      onProgress: (p) => set({ converting: { file: file.name, stage: p.stage, fraction: p.fraction, ...(p.detail ? { detail: p.detail } : {}), startedAt: get().converting?.startedAt ?? Date.now() } }),
    });
    if (!outcome.ok) {
      set({ convertError: outcome.kind === 'cancelled' ? `Conversion cancelled: nothing was stored. ${KEEP}` : `${outcome.message} ${KEEP}` });
      return false;
    }
    const result = outcome.result;
    const t0 = performance.now();
    set({ converting: { ...get().converting!, stage: 'store', fraction: 0 } });
    const id = await storageId(result.manifest);
    const manifest: BundleManifest = { ...result.manifest, id };
    const files = { ...result.files, 'manifest.json': new Blob([`${JSON.stringify(manifest, null, 2)}\n`], { type: 'application/json' }) };
    const bytes = Object.values(files).reduce((s, b) => s + b.size, 0);
    what = `the converted "${manifest.name}" (${formatBytes(bytes)})`;
    const space = await storageInfo().catch(() => null);
    if (space?.quota != null && space.usage != null && space.quota - space.usage < bytes) {
      what += ` with ${formatBytes(space.quota - space.usage)} free`;
      throw new StorageError('quota', true);
    }
    await saveBundle({ id, manifest, origin: 'converted', importedAt: Date.now() }, files, { signal });
    set({ installed: await listBundles().catch(() => get().installed) });
    result.report.timings.store = performance.now() - t0;
    set({ convertMessage: summary(result, id), convertReport: result.report, convertedId: id });
    return true;
  } catch (e) {
    if (signal.aborted) set({ convertError: `Conversion cancelled: nothing was stored. ${KEEP}` });
    else if (e instanceof StorageError && e.quota) {
      set({ convertError: `Not enough browser storage to keep ${what}: nothing was stored. Free space (Models → Storage) or remove another model, then convert again. ${KEEP}` });
    } else set({ convertError: `${file.name}: the converted bundle could not be stored (${(e as Error).message}); nothing was stored. ${KEEP}` });
    return false;
  } finally {
    abort = null;
    set({ converting: null });
  }
}

export function cancelConversion(): void {
  abort?.abort();
}

/** A stored bundle (imported or converted) as <id>-<version>.zip, for the UI to download; null on failure (exportError says why). */
export async function exportBundle(id: string): Promise<BundleZip | null> {
  set({ exporting: id, exportError: null });
  try {
    const entry = await getBundle(id);
    if (!entry) throw new Error(`Model ${id} is no longer stored.`);
    return await buildBundleZip(entry.manifest, await readBundleFiles(entry));
  } catch (e) {
    set({ exportError: `Export of ${id} failed: ${(e as Error).message}` });
    return null;
  } finally {
    set({ exporting: null });
  }
}
