/**
 * A lab head travels to another workstation as a bundle .zip ("Export head bundle"):
 *  - with the encoder files: a complete bundle (new id) whose head is the lab head — any workstation
 *    imports it as a model;
 *  - without them: manifest.json (naming and pinning the encoder by sha256) + head.json (+ shift.json).
 *    The importing workstation must have that encoder (same bundle id and encoder file); the head is
 *    then added to the encoder's list of lab heads, like one trained there.
 * head.json is the ordinary linear-softmax-v1 head (temperature folded in) with the lab-head record
 * (training set, k-fold metrics) in its `labHead` block, so `npm run evaluate` reads it too.
 */
import { buildBundleZip, manifestFiles, type BundleZip } from '../core/bundleExport.ts';
import { keepSecondViewGate, sha256Hex, validateManifest, verifyBundleFile, type BundleManifest } from '../core/manifest.ts';
import { readShiftStatsForBundle, SHIFT_MANIFEST_FORMAT, SHIFT_STATS_FILE, shiftStatsToJson } from '../core/shift/format.ts';
import type { ShiftStats } from '../core/shift/stats.ts';
import { labHeadFromHeadJson, labHeadManifestEntry, labHeadToHeadJson, uniqueHeadName, type LabHeadRecord } from '../core/training/index.ts';
import { BUILTIN_MODELS, builtinUrl } from '../config.ts';
import { getBundle, readBundleFiles } from '../storage/bundles.ts';
import { saveHead } from '../storage/heads.ts';
import { refreshHeads, storedHeadOf } from './headActions.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/gu, '-').replace(/^-+|-+$/gu, '').slice(0, 40) || 'head';

/** The encoder a head belongs to: its manifest, and its files on demand (built-in: fetched; imported: IndexedDB). */
async function encoderBundle(id: string): Promise<{ manifest: BundleManifest; files: () => Promise<Record<string, Blob>> } | null> {
  const builtin = BUILTIN_MODELS.find((m) => m.id === id);
  if (builtin) {
    const base = builtinUrl(builtin);
    const fetchOk = async (file: string): Promise<Response> => {
      const res = await fetch(new URL(file, base));
      if (!res.ok) throw new Error(`${file} of the built-in model could not be read (HTTP ${res.status}).`);
      return res;
    };
    const checked = validateManifest(await (await fetchOk('manifest.json')).json());
    if (!checked.ok) throw new Error(`the built-in model's manifest is invalid: ${checked.errors.join('; ')}`);
    const manifest = checked.manifest;
    return {
      manifest,
      files: async () => Object.fromEntries(await Promise.all(manifestFiles(manifest).map(async (v) => [v.file, await (await fetchOk(v.file)).blob()] as const))),
    };
  }
  const entry = await getBundle(id);
  return entry ? { manifest: entry.manifest, files: () => readBundleFiles(entry) } : null;
}

/** The bundle manifest and head/shift files for a lab head on top of its encoder's manifest. */
export async function headBundleParts(
  encoder: BundleManifest,
  record: LabHeadRecord,
  withEncoder: boolean,
): Promise<{ manifest: BundleManifest; files: Record<string, Blob> }> {
  const headText = labHeadToHeadJson(record);
  const head = await labHeadManifestEntry(record, headText);
  const files: Record<string, Blob> = { [head.file]: new Blob([headText], { type: 'application/json' }) };
  const { metrics: _bundleHeadMetrics, shift: _bundleShift, ...rest } = keepSecondViewGate(encoder).manifest; // both describe the bundle's own head
  let manifest: BundleManifest = { ...rest, head };
  if (withEncoder) {
    manifest = {
      ...manifest,
      id: `${encoder.id}-${slug(record.name)}-v${slug(record.version)}`,
      name: `${encoder.name} · ${record.name} v${record.version}`,
    };
  }
  if (record.shift) {
    const text = shiftStatsToJson(record.shift as ShiftStats);
    const bytes = new TextEncoder().encode(text);
    manifest.shift = { format: SHIFT_MANIFEST_FORMAT, file: SHIFT_STATS_FILE, bytes: bytes.length, sha256: await sha256Hex(bytes) };
    files[SHIFT_STATS_FILE] = new Blob([bytes], { type: 'application/json' });
  }
  return { manifest, files };
}

/**
 * The encoder's files with its second view's gate under the name the exported manifest gives it
 * (keepSecondViewGate): the lab head replaces the bundle's head, the gate stays the head it was, so the
 * other workstation looks twice at the same cells and gets the same embeddings.
 */
function gateFiles(encoder: BundleManifest, files: Record<string, Blob>): Record<string, Blob> {
  const { copy } = keepSecondViewGate(encoder);
  if (!copy) return files;
  const head = files[copy.from];
  if (!head) throw new Error(`${copy.from}, the second view's gate of "${encoder.name}", is missing.`);
  return { ...files, [copy.to]: head };
}

/** "Export head bundle": the .zip of a stored lab head, with or without its encoder's files. */
export async function exportLabHead(headId: string, withEncoder: boolean): Promise<BundleZip | null> {
  const h = get().labHeads.find((x) => x.id === headId);
  if (!h) return null;
  set({ headError: null, headMessage: null });
  try {
    const record = h.record as LabHeadRecord;
    if (record.classifier.kind !== 'linear') throw new Error('only linear heads can be exported as a bundle.');
    const encoder = await encoderBundle(h.encoderId);
    if (!encoder) throw new Error(`its encoder "${h.encoderId}" is no longer stored.`);
    const { manifest, files } = await headBundleParts(encoder.manifest, record, withEncoder);
    const all = withEncoder ? { ...gateFiles(encoder.manifest, await encoder.files()), ...files } : files;
    const zip = await buildBundleZip(manifest, all, { withoutEncoder: !withEncoder });
    const fileName = withEncoder ? zip.fileName : `${slug(h.encoderId)}--head-${slug(h.name)}-v${slug(h.version)}.zip`;
    set({ headMessage: `Exported "${h.name}" v${h.version} ${withEncoder ? 'with' : 'without'} the encoder files as ${fileName}.` });
    return { ...zip, fileName };
  } catch (e) {
    set({ headError: `Export of head "${h.name}" failed: ${(e as Error).message}` });
    return null;
  }
}

/**
 * A bundle whose manifest names encoder files it does not carry, but carries a head: a lab head
 * exported without its encoder. Returns null for anything else (an ordinary bundle goes through the
 * full import).
 */
export async function asHeadOnlyBundle(files: Record<string, Blob>): Promise<BundleManifest | null> {
  const m = files['manifest.json'];
  if (!m) return null;
  let json: unknown;
  try {
    json = JSON.parse(await m.text());
  } catch {
    return null; // the full import names the problem
  }
  const checked = validateManifest(json);
  if (!checked.ok || !checked.manifest.head) return null;
  const manifest = checked.manifest;
  return manifest.encoder.variants.every((v) => !files[v.file]) && files[manifest.head!.file] ? manifest : null;
}

/** A file of the head bundle, checked against its manifest entry (size and sha256) as every bundle file is. */
async function verifiedBytes(files: Record<string, Blob>, entry: { file: string; bytes: number; sha256: string }): Promise<Uint8Array> {
  const blob = files[entry.file];
  const bytes = blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
  await verifyBundleFile(entry, bytes);
  return bytes!;
}

/**
 * Imports a head-only bundle as a lab head of the encoder it names. Refused, with the reason and
 * nothing stored, when this workstation does not have that encoder, the files are damaged, or the
 * head is not a lab head.
 */
export async function importHeadOnlyBundle(manifest: BundleManifest, files: Record<string, Blob>): Promise<boolean> {
  set({ headError: null, headMessage: null });
  try {
    const encoder = await encoderBundle(manifest.id).catch(() => null);
    if (!encoder) {
      throw new Error(
        `it is a lab head for the encoder "${manifest.name}" (${manifest.id}), which this workstation does not have: import that model first, or ask for the head exported with its encoder files.`,
      );
    }
    const headBytes = await verifiedBytes(files, manifest.head!);
    const parsed = labHeadFromHeadJson(JSON.parse(new TextDecoder().decode(headBytes)), manifest);
    if (!parsed) throw new Error('its head.json is a bundle head, not a lab head: it has no encoder files to go with it.');
    const shas = new Set(encoder.manifest.encoder.variants.map((v) => v.sha256.toLowerCase()));
    if (!manifest.encoder.variants.some((v) => shas.has(v.sha256.toLowerCase())) || encoder.manifest.embeddingDim !== manifest.embeddingDim) {
      throw new Error(`it was trained on another encoder than this workstation's "${encoder.manifest.name}" (${manifest.id}): the encoder files differ (sha256).`);
    }
    let record: LabHeadRecord = { ...parsed, encoder: { ...parsed.encoder, bundleId: encoder.manifest.id } };
    if (manifest.shift) {
      record = { ...record, shift: readShiftStatsForBundle(await verifiedBytes(files, manifest.shift), encoder.manifest) };
    }
    const same = get().labHeads.find((h) => h.id === record.id);
    if (same) {
      set({ headMessage: `Head "${same.name}" v${same.version} is already here; nothing was imported.` });
      return true;
    }
    const taken = get().labHeads.filter((h) => h.encoderId === encoder.manifest.id).map((h) => h.name);
    record = { ...record, name: uniqueHeadName(record.name, taken) };
    const entry = storedHeadOf(record); // record.encoder.bundleId is this workstation's encoder (set above)
    await saveHead(entry);
    await refreshHeads();
    set({
      headMessage: `Imported lab head "${record.name}" v${record.version} for "${encoder.manifest.name}"${get().model?.manifest.id === encoder.manifest.id ? '' : ' (switch to that model to use it)'}: choose it in the list of heads.`,
    });
    return true;
  } catch (e) {
    set({ headError: `Head import refused: ${(e as Error).message} Nothing was stored; the active head is unchanged.` });
    return false;
  }
}

/** A .zip this small may be a head-only bundle and is unzipped on the page to look (a head bundle is a few hundred KB). */
export const HEAD_BUNDLE_MAX_BYTES = 8 * 1024 * 1024;
