/**
 * Training a lab head in the browser: gather labelled cells (a labelled folder, the verified cells of
 * signed cases, `npm run embed` files, the training set of an earlier head), embed the ones whose
 * embedding is not stored yet with the active encoder (inference worker; only the vectors are kept),
 * then evaluate and fit in the training worker (src/core/training). The result waits in the store
 * until the lab uses it, keeps it for later or discards it: a cancelled or failed run saves nothing
 * and leaves the active head as it was.
 */
import { isLocked } from '../core/case.ts';
import { cellClasses, type Cell } from '../core/cell.ts';
import { sha256Hex } from '../core/manifest.ts';
import { loadReferenceSet, REFERENCE_SET_PATH } from '../core/referenceSet.ts';
import {
  assembleTrainingSet,
  CancelledError,
  decodeEmbeddingsFile,
  labHeadFromTraining,
  labHeadLinear,
  listLabelledFolder,
  renameClasses,
  uniqueHeadName,
  verifiedLabel,
  type EncoderIdentity,
  type LabHeadRecord,
  type LabelledFolderListing,
  type SkippedFile,
  type TrainingSource,
} from '../core/training/index.ts';
import type { CellInput } from '../inference/types.ts';
import { TrainingClient } from '../inference/trainingClient.ts';
import { getCase } from '../storage/cases.ts';
import * as db from '../storage/db.ts';
import { embeddingKey, loadEmbeddings, saveEmbeddings } from '../storage/embeddings.ts';
import { saveHead, type StoredHead } from '../storage/heads.ts';
import { embedWithActiveEncoder } from './actions.ts';
import { activateHead, refreshHeads, storedHeadOf } from './headActions.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

export interface TrainHeadInput {
  /** files of a labelled folder with their relative paths (one sub-folder per class) */
  folder?: { path: string; file: Blob }[];
  /** signed cases whose verified cells are used */
  caseIds?: string[];
  /** embeddings files written by `npm run embed` with this encoder */
  embeddingFiles?: File[];
  /** folder class → class name to use (merging onto an existing class); '' leaves the class out */
  classNames?: Record<string, string>;
  /** extend the training set of this lab head (Learn from review) */
  extendHeadId?: string;
  /** add the built-in reference set (public/reference-set, downloaded now and checked file by file) */
  referenceSet?: boolean;
  folds?: number;
  name?: string;
}

/** A finished training run waiting for the lab's decision. */
export interface HeadTrainingOutcome {
  record: LabHeadRecord;
  /** files of the folder that could not be used, each with the reason */
  skipped: SkippedFile[];
  /** what the folder listing, the assembly and the training said */
  messages: string[];
  trainingItems: { key: string; label: string }[];
  saved: boolean;
}

const EMBED_CHUNK = 32;
let abort: AbortController | null = null;
const trainer = new TrainingClient();

export function cancelHeadTraining(): void {
  abort?.abort();
  trainer.dispose();
}

/** Reads a folder listing for the form (classes, counts, what will be skipped), without embedding anything. */
export function previewFolder(files: { path: string; file: Blob }[]): LabelledFolderListing {
  return listLabelledFolder(files.map((f) => ({ path: f.path, size: f.file.size })));
}

interface Item {
  label: string;
  key: string;
  blob?: () => Promise<Blob | undefined>;
  name: string;
  hash?: string;
}

/**
 * Embeds what is not stored yet (bounded memory: 32 images in flight), in the order given; returns
 * the vectors (undefined where the image could not be used) and the failures.
 */
async function embedItems(items: Item[], encoderKey: string, signal: AbortSignal): Promise<{ vectors: (Float32Array | undefined)[]; failed: SkippedFile[] }> {
  const vectors = await loadEmbeddings(items.map((i) => i.key)).catch(() => items.map(() => undefined));
  const missing = items.map((it, i) => ({ it, i })).filter(({ i }) => !vectors[i]);
  const failed: SkippedFile[] = [];
  const t0 = performance.now();
  let done = 0;
  set({ headJob: { stage: 'embed', done: items.length - missing.length, total: items.length } });
  for (let start = 0; start < missing.length; start += EMBED_CHUNK) {
    if (signal.aborted) throw new CancelledError();
    const chunk = missing.slice(start, start + EMBED_CHUNK);
    const inputs: CellInput[] = [];
    for (const { it, i } of chunk) {
      const blob = await it.blob?.();
      if (blob) inputs.push({ id: String(i), name: it.name, blob });
      else failed.push({ index: i, path: it.name, reason: 'not-an-image', message: 'The image is no longer stored.' });
    }
    const fresh: [string, Float32Array][] = [];
    await embedWithActiveEncoder(inputs, {
      signal,
      onBatch: (report) => {
        for (const o of report.outcomes) {
          const i = Number(o.id);
          if (o.ok) {
            vectors[i] = o.embedding;
            fresh.push([items[i]!.key, o.embedding]);
          } else failed.push({ index: i, path: items[i]!.name, reason: 'not-an-image', message: o.message });
          done++;
        }
        const seconds = (performance.now() - t0) / 1000;
        const rate = seconds > 0 ? done / seconds : 0;
        const remaining = missing.length - done;
        set({ headJob: { stage: 'embed', done: items.length - missing.length + done, total: items.length, cellsPerSecond: rate, etaSeconds: rate > 0 ? remaining / rate : null } });
      },
    });
    if (signal.aborted) throw new CancelledError();
    await saveEmbeddings(fresh).catch(() => {}); // a cache: losing it only costs time next run
  }
  return { vectors, failed };
}

function sourceOf(kind: TrainingSource['kind'], name: string, encoder: EncoderIdentity, items: Item[], vectors: (Float32Array | undefined)[]): { source: TrainingSource; used: Item[] } | null {
  const used: Item[] = [];
  const rows: Float32Array[] = [];
  items.forEach((it, i) => {
    const v = vectors[i];
    if (v && v.length === encoder.dim) {
      used.push(it);
      rows.push(v);
    }
  });
  if (used.length === 0) return null;
  const classes = [...new Set(used.map((u) => u.label))];
  const index = new Map(classes.map((c, i) => [c, i]));
  const embeddings = new Float32Array(used.length * encoder.dim);
  rows.forEach((r, i) => embeddings.set(r, i * encoder.dim));
  return {
    source: { kind, name, encoder, classes, labels: Int32Array.from(used, (u) => index.get(u.label)!), embeddings, imageHashes: used.map((u) => u.hash ?? null) },
    used,
  };
}

async function folderItems(folder: { path: string; file: Blob }[], classNames: Record<string, string>, encoderKey: string): Promise<{ items: Item[]; listing: LabelledFolderListing }> {
  const listing = renameClasses(previewFolder(folder), classNames);
  const items: Item[] = [];
  for (const f of listing.files) {
    if (classNames[f.className] === '' ) continue;
    const file = folder[f.index]!.file;
    // content hash: the embeddings cache key, and duplicates across sources are kept once
    const hash = await sha256Hex(new Uint8Array(await file.arrayBuffer()));
    items.push({ label: f.className, key: embeddingKey(encoderKey, { imageHash: hash }), name: f.path, hash, blob: async () => file });
  }
  return { items, listing };
}

async function caseItems(caseIds: string[], encoderKey: string): Promise<{ items: Item[]; names: string[]; messages: string[] }> {
  const items: Item[] = [];
  const names: string[] = [];
  const messages: string[] = [];
  const classesOf = get().modelClasses;
  for (const id of caseIds) {
    const c = id === get().activeCase?.id ? get().activeCase : await getCase(id);
    if (!c) continue;
    if (!isLocked(c)) {
      messages.push(`Case ${c.sampleId || c.id} is not signed: only signed (verified) cases train a head.`);
      continue;
    }
    names.push(c.sampleId || c.id);
    const cells: Cell[] = await db.loadCells(c.id).catch(() => []);
    for (const cell of cells) {
      const label = verifiedLabel(cell, cellClasses(cell, classesOf));
      if (!label) continue;
      items.push({
        label,
        key: embeddingKey(encoderKey, cell),
        name: `${c.sampleId || c.id}/${cell.name}`,
        ...(cell.imageHash ? { hash: cell.imageHash } : {}),
        blob: () => db.loadImage(cell.id).catch(() => undefined),
      });
    }
  }
  return { items, names, messages };
}

/** Runs a whole training; the outcome (or the reason it failed) lands in the store. */
export async function trainLabHead(input: TrainHeadInput): Promise<void> {
  const model = get().model;
  if (!model || get().headJob) return;
  abort = new AbortController();
  const signal = abort.signal;
  set({ headJob: { stage: 'collect', done: 0, total: 0 }, headError: null, headMessage: null, headResult: null });
  const encoderSha256 = model.encoderKey.slice(model.encoderKey.indexOf(':') + 1);
  const encoder: EncoderIdentity = { bundleId: model.manifest.id, encoderSha256, dim: model.manifest.embeddingDim };
  const messages: string[] = [];
  try {
    const groups: { kind: TrainingSource['kind']; name: string; items: Item[] }[] = [];
    let skipped: SkippedFile[] = [];
    if (input.extendHeadId) {
      const prev = get().labHeads.find((h) => h.id === input.extendHeadId);
      if (prev?.trainingItems?.length) {
        groups.push({ kind: 'folder', name: `training set of "${prev.name}" v${prev.version}`, items: prev.trainingItems.map((t) => ({ ...t, name: t.key })) });
      }
    }
    if (input.folder?.length) {
      const { items, listing } = await folderItems(input.folder, input.classNames ?? {}, model.encoderKey);
      messages.push(...listing.messages);
      skipped = listing.skipped;
      groups.push({ kind: 'folder', name: listing.root || 'labelled folder', items });
    }
    if (input.referenceSet) {
      const detail = 'downloading the built-in reference set';
      set({ headJob: { stage: 'collect', done: 0, total: 0, detail } });
      const base = new URL(`${import.meta.env.BASE_URL}${REFERENCE_SET_PATH}`, self.location.href).href;
      const ref = await loadReferenceSet(base, { signal, onProgress: (done, total) => set({ headJob: { stage: 'collect', done, total, detail } }) });
      // its files' paths are "<class>/<file>": read like a dropped folder "reference-set/<class>/<file>"
      const folder = ref.items.map((i) => ({ path: `reference-set/${i.file}`, file: i.blob }));
      const { items } = await folderItems(folder, {}, model.encoderKey);
      messages.push(`Built-in reference set: ${items.length} PBC crops in ${ref.index.classes.length} classes (${ref.index.licence}; Acevedo et al. 2020).`);
      groups.push({ kind: 'folder', name: ref.index.name, items });
    }
    if (input.caseIds?.length) {
      const { items, names, messages: m } = await caseItems(input.caseIds, model.encoderKey);
      messages.push(...m);
      if (items.length) groups.push({ kind: 'cases', name: names.length === 1 ? `case ${names[0]}` : `${names.length} signed cases`, items });
    }
    const all = groups.flatMap((g) => g.items);
    const { vectors, failed } = await embedItems(all, model.encoderKey, signal);
    skipped = [...skipped, ...failed];
    const sources: TrainingSource[] = [];
    const trainingItems: { key: string; label: string }[] = [];
    let offset = 0;
    for (const g of groups) {
      const part = sourceOf(g.kind, g.name, encoder, g.items, vectors.slice(offset, offset + g.items.length));
      offset += g.items.length;
      if (part) {
        sources.push(part.source);
        trainingItems.push(...part.used.map((u) => ({ key: u.key, label: u.label })));
      }
    }
    for (const f of input.embeddingFiles ?? []) {
      const file = decodeEmbeddingsFile(new Uint8Array(await f.arrayBuffer()), f.name);
      const h = file.header;
      sources.push({
        kind: 'embeddings-file',
        name: f.name,
        encoder: { bundleId: h.bundleId, encoderSha256: h.encoderSha256, dim: h.d },
        classes: h.classes.map((c) => input.classNames?.[c] || c),
        labels: file.labels,
        embeddings: file.embeddings,
      });
    }
    const set0 = assembleTrainingSet(sources, encoder, model.classes);
    messages.push(...set0.messages);
    const current = currentHeadOf();
    set({ headJob: { stage: 'train', done: 0, total: 1, detail: 'starting' } });
    const result = await trainer.train(
      {
        classes: set0.classes, embeddings: set0.embeddings, labels: set0.labels, dim: set0.dim, options: { folds: input.folds ?? 5 },
        ...(current ? { currentHead: current } : {}),
        // its own shift checks: cells unlike the lab's training cells get flagged
        shiftStats: { bundleId: model.manifest.id, encoderSha256: model.manifest.encoder.variants.map((v) => v.sha256), source: `lab head training set (${set0.summary.total} cells)` },
      },
      { signal, onProgress: (p) => set({ headJob: { stage: 'train', done: p.fraction, total: 1, detail: p.detail } }) },
    );
    const existing = get().labHeads.filter((h) => h.encoderId === model.manifest.id).map((h) => h.record as LabHeadRecord);
    const extended = input.extendHeadId ? get().labHeads.find((h) => h.id === input.extendHeadId) : undefined;
    let record = labHeadFromTraining(result, {
      id: crypto.randomUUID(),
      name: input.name?.trim() || `Lab head ${new Date().toISOString().slice(0, 10)}`,
      encoder: { bundleId: model.manifest.id, bundleVersion: model.manifest.version, encoderSha256, precision: model.precision, inputDim: model.manifest.embeddingDim },
      trainingSet: set0.summary,
      existing,
    });
    // A retrained head is the next version of the same head: same name, higher version.
    if (extended && !input.name?.trim()) record = { ...record, name: extended.name };
    if (result.shiftStats) record = { ...record, shift: result.shiftStats };
    if (result.shiftNote) messages.push(result.shiftNote);
    set({ headResult: { record, skipped, messages: [...messages, ...result.messages], trainingItems, saved: false } satisfies HeadTrainingOutcome });
  } catch (e) {
    const err = e as Error;
    set({ headError: err instanceof CancelledError || err?.name === 'CancelledError' ? 'Training cancelled: nothing was saved; the active head is unchanged.' : `Training failed: ${err.message} Nothing was saved; the active head is unchanged.` });
  } finally {
    abort = null;
    set({ headJob: null });
  }
}

/** The head classifying now, for "what the lab gains" (null for an encoder-only bundle). */
function currentHeadOf(): { name: string; head: { classes: string[]; inputDim: number; weight: Float32Array; bias: Float32Array } } | null {
  const model = get().model;
  if (!model?.head) return null;
  const lab = get().labHeads.find((h) => h.id === model.head!.id);
  if (lab) return { name: `${lab.name} v${lab.version}`, head: { classes: lab.classes.slice(), inputDim: lab.inputDim, weight: lab.weight.slice(), bias: lab.bias.slice() } };
  const b = model.bundleHead;
  return b ? { name: `bundle head of ${model.manifest.name}`, head: { classes: b.classes.slice(), inputDim: model.manifest.embeddingDim, weight: b.weight.slice(), bias: b.bias.slice() } } : null;
}

/** Stores the finished head (and, with `use`, makes it classify new cells). */
export async function keepTrainedHead(use: boolean, name?: string): Promise<boolean> {
  const outcome = get().headResult as HeadTrainingOutcome | null;
  if (!outcome) return false;
  let record = outcome.record;
  if (name?.trim() && name.trim() !== record.name) {
    const taken = get().labHeads.filter((h) => h.encoderId === record.encoder.bundleId).map((h) => h.name);
    record = { ...record, name: uniqueHeadName(name, taken) };
  }
  if (!outcome.saved) {
    const entry = storedHeadOf(record, outcome.trainingItems);
    try {
      await saveHead(entry);
    } catch (e) {
      set({ headError: `${(e as Error).message}` });
      return false;
    }
    await refreshHeads();
    set({ headResult: { ...outcome, record, saved: true } satisfies HeadTrainingOutcome });
  }
  if (use) return activateHead(record.id);
  set({ headMessage: `Kept "${record.name}" v${record.version}; switch to it any time in the list of heads.` });
  return true;
}

export function discardTrainedHead(): void {
  set({ headResult: null });
}
