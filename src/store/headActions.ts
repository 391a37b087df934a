/**
 * Lab heads: switching, renaming, deleting (re-classifying a stored case: reclassifyActions.ts).
 * Heads are versions of an encoder (one list per bundle id); the bundle's own head always stays.
 * Switching a head changes how NEW cells are classified; re-classifying a stored case is an explicit
 * action that the audit trail records, never a side effect of switching.
 */
import type { ShiftStats } from '../core/shift/stats.ts';
import { labHeadLinear, uniqueHeadName, type LabHeadRecord } from '../core/training/index.ts';
import type { BundleManifest } from '../core/manifest.ts';
import type { HeadSpec } from '../inference/types.ts';
import * as db from '../storage/db.ts';
import { ACTIVE_HEADS_KEY, deleteHead, listHeads, saveHead, type StoredHead } from '../storage/heads.ts';
import { setActiveHead } from './actions.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

/** The latest read of the stored heads (null: none yet in this page). */
let headsRead: Promise<void> | null = null;

export function refreshHeads(): Promise<void> {
  const read = (async () => {
    const [labHeads, activeHeads] = await Promise.all([
      listHeads().catch(() => [] as StoredHead[]),
      db.loadMeta<Record<string, string>>(ACTIVE_HEADS_KEY).catch(() => undefined),
    ]);
    set({ labHeads, activeHeads: activeHeads ?? {} });
  })();
  headsRead = read;
  return read;
}

/** The stored heads, read once per page: a model load does not read them again (also when there are none). */
function headsLoaded(): Promise<void> {
  return headsRead ?? refreshHeads();
}

/** The stored form of a lab head: the record, and its linear weights with the temperature folded in. */
export function storedHeadOf(record: LabHeadRecord, trainingItems?: { key: string; label: string }[]): StoredHead {
  const linear = labHeadLinear(record);
  return {
    id: record.id,
    encoderId: record.encoder.bundleId,
    inputDim: record.encoder.inputDim,
    name: record.name,
    version: record.version,
    createdAt: record.createdAt,
    classes: linear.classes,
    weight: linear.weight,
    bias: linear.bias,
    record,
    ...(trainingItems ? { trainingItems } : {}),
  };
}

export function headSpec(h: StoredHead): HeadSpec {
  // copies: the worker keeps its own (the stored entry stays usable here)
  const shift = (h.record as LabHeadRecord | null)?.shift as ShiftStats | undefined;
  return {
    ref: { id: h.id, name: h.name, version: h.version },
    classes: h.classes.slice(),
    weight: Float32Array.from(h.weight),
    bias: Float32Array.from(h.bias),
    ...(shift ? { shift } : {}),
  };
}

/** Heads listed for the loaded encoder. */
export function headsOfActiveModel(): StoredHead[] {
  const id = get().model?.manifest.id;
  return id ? get().labHeads.filter((h) => h.encoderId === id) : [];
}

async function rememberActive(modelId: string, headId: string | null): Promise<void> {
  const activeHeads = { ...get().activeHeads };
  if (headId) activeHeads[modelId] = headId;
  else delete activeHeads[modelId];
  set({ activeHeads });
  await db.saveMeta(ACTIVE_HEADS_KEY, activeHeads).catch((e: Error) => set({ storageError: e.message }));
}

/**
 * Makes a lab head (or, with null, the bundle's own head) the one that classifies new cells of the
 * loaded model. On failure the previous head stays active and the reason is shown.
 */
export async function activateHead(headId: string | null): Promise<boolean> {
  const model = get().model;
  if (!model) return false;
  const entry = headId ? get().labHeads.find((h) => h.id === headId) : null;
  if (headId && !entry) {
    set({ headError: 'That head is no longer stored.' });
    return false;
  }
  if (entry && entry.encoderId !== model.manifest.id) {
    set({ headError: `Head "${entry.name}" was trained for "${entry.encoderId}", not for the loaded model "${model.manifest.id}".` });
    return false;
  }
  if (entry && entry.inputDim !== model.manifest.embeddingDim) {
    set({ headError: `Head "${entry.name}" reads ${entry.inputDim}-dimensional embeddings, but "${model.manifest.name}" produces ${model.manifest.embeddingDim}: refused.` });
    return false;
  }
  if (!entry && !model.manifest.head && headId === null && model.head === null) return true;
  try {
    await setActiveHead(entry ? headSpec(entry) : null);
  } catch (e) {
    set({ headError: `Could not switch head: ${(e as Error).message} The previous head stays active.` });
    return false;
  }
  await rememberActive(model.manifest.id, entry?.id ?? null);
  set({ headError: null, headMessage: entry ? `New cells are now classified by "${entry.name}" v${entry.version}.` : `New cells are now classified by the bundle's own head.` });
  return true;
}

/** The lab head remembered for a model about to be loaded, if it is stored and fits its encoder. */
export async function rememberedHeadSpec(manifest: BundleManifest): Promise<HeadSpec | null> {
  await headsLoaded();
  const id = get().activeHeads[manifest.id];
  const entry = id ? get().labHeads.find((h) => h.id === id) : undefined;
  if (!entry || entry.encoderId !== manifest.id || entry.inputDim !== manifest.embeddingDim) return null;
  return headSpec(entry);
}

/** After a model is loaded: set the lab head remembered for it, if it is still there. */
export async function reapplyActiveHead(): Promise<void> {
  const model = get().model;
  if (!model) return;
  await headsLoaded();
  const id = get().activeHeads[model.manifest.id];
  if (!id || model.head?.id === id) return;
  const entry = get().labHeads.find((h) => h.id === id);
  if (entry) await activateHead(id);
  else await rememberActive(model.manifest.id, null);
}

export async function renameHead(id: string, name: string): Promise<void> {
  const entry = get().labHeads.find((h) => h.id === id);
  const trimmed = name.trim();
  if (!entry || !trimmed || trimmed === entry.name) return;
  const unique = uniqueHeadName(trimmed, get().labHeads.filter((h) => h.encoderId === entry.encoderId && h.id !== id).map((h) => h.name));
  try {
    await saveHead({ ...entry, name: unique });
  } catch (e) {
    set({ headError: (e as Error).message });
    return;
  }
  await refreshHeads();
  // Cells keep the name they were classified under; only the worker's copy follows the new name.
  if (get().model?.head?.id === id) await setActiveHead(headSpec({ ...entry, name: unique }));
}

export async function removeHead(id: string): Promise<void> {
  const entry = get().labHeads.find((h) => h.id === id);
  if (!entry) return;
  if (get().model?.head?.id === id) {
    if (!(await activateHead(null))) return;
  }
  await deleteHead(id).catch((e: Error) => set({ headError: e.message }));
  if (get().activeHeads[entry.encoderId] === id) await rememberActive(entry.encoderId, null);
  await refreshHeads();
  set({ headMessage: `Deleted head "${entry.name}" v${entry.version}.` });
}
