/**
 * Model management: which bundle is active (built-in or imported), importing bundles from a folder,
 * a .zip or a URL, and removing them. An import is fully checked in a separate worker before it is
 * stored, and stored before it is activated, so a bad bundle never replaces the active model.
 */
import { BUILTIN_MODELS, builtinUrl, DEFAULT_MODEL_ID } from '../config.ts';
import type { BackendSettings } from '../core/backend.ts';
import { InferenceClient } from '../inference/client.ts';
import type { BundleOffer, BundleSource } from '../inference/types.ts';
import { isAllowedModelUrl, refusedModelUrlMessage } from '../security/csp.ts';
import { MODEL_ORIGINS } from '../security/modelOrigins.ts';
import { deleteBundle, getBundle, listBundles, readBundleFiles, saveBundle } from '../storage/bundles.ts';
import * as db from '../storage/db.ts';
import { loadModel, restartWorker } from './actions.ts';
import { filesFromZip } from '../core/bundleZip.ts';
import { reapplyActiveHead, rememberedHeadSpec } from './headActions.ts';
import { asHeadOnlyBundle, HEAD_BUNDLE_MAX_BYTES, importHeadOnlyBundle } from './headExport.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

export type ActiveModelRef = { kind: 'builtin'; id: string } | { kind: 'imported'; id: string };

const ACTIVE_KEY = 'activeModel';

export async function refreshInstalled(): Promise<void> {
  set({ installed: await listBundles().catch(() => []) });
}

async function sourceFor(ref: ActiveModelRef): Promise<BundleSource | null> {
  if (ref.kind === 'builtin') {
    const m = BUILTIN_MODELS.find((b) => b.id === ref.id);
    return m ? { kind: 'url', baseUrl: builtinUrl(m) } : null;
  }
  const entry = await getBundle(ref.id);
  return entry ? { kind: 'files', files: await readBundleFiles(entry) } : null;
}

/** Loads the model and, only if that worked, remembers it as the active one. */
export async function activate(ref: ActiveModelRef): Promise<boolean> {
  const source = await sourceFor(ref);
  if (!source) {
    set({ modelError: `Model ${ref.id} is no longer available.` });
    return false;
  }
  const ok = await loadModel(source, { headFor: rememberedHeadSpec });
  if (ok) {
    await db.saveMeta(ACTIVE_KEY, ref).catch(() => {});
    await reapplyActiveHead(); // a no-op when headFor's head is on; else it says why it is not
  }
  return ok;
}

/** Start-up choice: ?model=<manifest URL>, ?builtin=<id>, the remembered model, else the default. */
export async function activateInitial(search: string): Promise<void> {
  await refreshInstalled();
  const params = new URLSearchParams(search);
  const modelParam = params.get('model');
  // A lab's link may be relative to the app (?model=models/ward3/manifest.json).
  const modelUrl = modelParam ? resolveModelUrl(modelParam) : null;
  if (modelParam && !modelUrl) set({ importError: `The link's model address "${modelParam}" is not a valid URL. The built-in model was loaded instead.` });
  if (modelUrl) {
    const known = get().installed.find((b) => b.sourceUrl === modelUrl);
    if (known && (await activate({ kind: 'imported', id: known.id }))) return;
    if (await importBundle({ kind: 'url', manifestUrl: modelUrl })) return;
  }
  const builtin = params.get('builtin');
  if (builtin && BUILTIN_MODELS.some((m) => m.id === builtin) && (await activate({ kind: 'builtin', id: builtin }))) return;
  const remembered = await db.loadMeta<ActiveModelRef>(ACTIVE_KEY).catch(() => undefined);
  if (remembered && (await activate(remembered))) return;
  if (get().model) return; // a failed ?model= import leaves whatever loaded before
  await activate({ kind: 'builtin', id: DEFAULT_MODEL_ID });
}

function resolveModelUrl(value: string): string | null {
  try {
    return new URL(value, self.location.href).href;
  } catch {
    return null;
  }
}

export async function importBundle(offer: BundleOffer): Promise<boolean> {
  if (offer.kind === 'url' && !isAllowedModelUrl(offer.manifestUrl, location.origin, MODEL_ORIGINS)) {
    set({ importError: `Import refused: ${refusedModelUrlMessage(offer.manifestUrl, location.origin, MODEL_ORIGINS)} The active model was not changed.` });
    return false;
  }
  set({ importing: { progress: null }, importError: null, importMessage: null });
  try {
    // A lab head exported without its encoder joins the heads of the encoder this workstation has.
    // A small zip is peeked at here without inflating any .onnx (a head bundle has none); a model zip
    // then goes to the worker, which unzips it once.
    const peek = (zip: Blob, name: string) => filesFromZip(zip, name, { skip: (p) => p.toLowerCase().endsWith('.onnx') }).catch(() => null);
    const small = offer.kind === 'files' ? offer.files : offer.kind === 'zip' && offer.zip.size <= HEAD_BUNDLE_MAX_BYTES ? await peek(offer.zip, offer.name) : null;
    const headOnly = small ? await asHeadOnlyBundle(small) : null;
    if (small && headOnly) {
      const ok = await importHeadOnlyBundle(headOnly, small);
      set(ok ? { importing: null, importMessage: get().headMessage } : { importing: null, importError: get().headError });
      return ok;
    }
    const { manifest, files } = await InferenceClient.prepareImport(offer, (progress) => set({ importing: { progress } }));
    if (BUILTIN_MODELS.some((m) => m.id === manifest.id)) {
      throw new Error(`"${manifest.id}" is the id of a built-in model; give the imported bundle another id.`);
    }
    await saveBundle(
      {
        id: manifest.id,
        manifest,
        origin: offer.kind === 'url' ? 'url' : offer.kind === 'zip' ? 'zip' : 'folder',
        ...(offer.kind === 'url' ? { sourceUrl: offer.manifestUrl } : {}),
        importedAt: Date.now(),
      },
      files,
    );
    await refreshInstalled();
    set({ importing: null, importMessage: `Imported "${manifest.name}" ${manifest.version}.` });
    return await activate({ kind: 'imported', id: manifest.id });
  } catch (e) {
    set({ importing: null, importError: `Import failed: ${(e as Error).message} The active model was not changed.` });
    return false;
  }
}

export async function removeBundle(id: string): Promise<void> {
  await deleteBundle(id);
  await refreshInstalled();
  if (get().model?.manifest.id === id) await activate({ kind: 'builtin', id: DEFAULT_MODEL_ID });
}

/** New backend settings: stored, then a fresh worker loads the model again with them. */
export async function applyBackendSettings(settings: BackendSettings): Promise<void> {
  set({ backendSettings: settings });
  await db.saveMeta('backendSettings', settings).catch(() => {});
  if ((await restartWorker()) === 'none') await activateInitial(self.location.search);
}
