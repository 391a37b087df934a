/**
 * Actions that cross slices: loading models, adding files, running the classification queue,
 * clearing and exporting. Components call these; they never talk to the worker or IndexedDB.
 */
import type { BackendSettings } from '../core/backend.ts';
import { cellClasses, cellsToShow, classesKey, toExportRow, viewCell, type Cell } from '../core/cell.ts';
import { toCsv, toJson } from '../core/export.ts';
import { HashIndex } from '../core/duplicates.ts';
import { isIgnoredPath, type DroppedFile } from '../core/fileFilter.ts';
import { sha256Hex, type BundleManifest } from '../core/manifest.ts';
import { CHUNK_SIZE } from '../config.ts';
import { InferenceClient, WorkerCrashedError } from '../inference/client.ts';
import type { BatchReport, BundleSource, CellInput, ClassifySummary, HeadSpec } from '../inference/types.ts';
import * as db from '../storage/db.ts';
import { embeddingKey, saveEmbeddings } from '../storage/embeddings.ts';
import { PersistQueue } from '../storage/persistQueue.ts';
import { requestPersistence } from '../storage/quota.ts';
import { orderedCells } from './cellsSlice.ts';
import { useApp } from './index.ts';
import { recordCaseEvent, recordCaseEvents } from './caseEvents.ts';
import { caseShiftSummary, shiftExport } from './caseShift.ts';

const set = useApp.setState;
const get = useApp.getState;

/**
 * A worker that dies (out of memory, a WASM trap, a killed process) is replaced at once: the user
 * is told, a fresh worker reloads the model, and the queue resumes from the first cell that has no
 * result — cells already classified keep theirs, so none is lost or classified twice.
 */
let recovering: Promise<void> | null = null;
/** The classify call whose reports are accepted; reports of a call cut short by a crash are dropped. */
let acceptedCall: symbol | null = null;
const client = new InferenceClient((message) => {
  acceptedCall = null;
  set({ modelStatus: 'loading', modelError: `${message} Restarting it and reloading the model…` });
  recovering = (async () => {
    if (currentSource) await loadModelQuietly(currentSource);
    if (get().modelStatus === 'ready') {
      set({ modelError: `${message} A new worker took over; classification resumed where it stopped.` });
      void runQueue();
    }
  })();
});

const persist = new PersistQueue((e) => set({ storageError: e.message }));

/** Blobs of cells added in this tab, so classification never depends on IndexedDB having accepted them. */
const memoryBlobs = new Map<string, Blob>();
let currentSource: BundleSource | null = null;
let abortController: AbortController | null = null;
let queueRunning = false;
/** Set while a lab-head embedding job uses the inference worker; the classification queue waits for it. */
let embeddingJob: Promise<unknown> | null = null;
let queueIdle: Promise<void> = Promise.resolve();
let markQueueIdle: () => void = () => {};

export function updateCells(changed: Cell[]): void {
  if (changed.length === 0) return;
  const cells = { ...get().cells };
  for (const c of changed) cells[c.id] = c;
  set({ cells, queuedCount: Object.values(cells).filter((c) => c.status === 'queued').length });
  persist.put(changed);
}

/** Resolves once the stored case is on screen: a drop made earlier waits for it instead of being overwritten. */
let markRestored: () => void = () => {};
const sessionRestored = new Promise<void>((r) => (markRestored = r));

/** Starts the inference worker and its runtime ahead of the first model load (see InferenceClient.prestart). */
export function prestartInference(settings: BackendSettings): void {
  client.prestart(settings);
}

/** Called by init.ts once the stored case is on screen (or failed to load). */
export function markSessionRestored(): void {
  set({ restored: true });
  markRestored();
}

/** Loads a bundle into the worker; on failure the previous model stays active. Returns success. */
export async function loadModel(source: BundleSource, opts: { headFor?: (manifest: BundleManifest) => Promise<HeadSpec | null> } = {}): Promise<boolean> {
  set({ modelStatus: 'loading', modelError: null, loadProgress: null });
  try {
    // `headFor` (the lab head remembered for this model) is set in the worker before the model is
    // shown: cells queued before a reload are never classified by the bundle's head in between.
    const model = await client.loadBundle(source, get().backendSettings, (p) => set({ loadProgress: p }), opts.headFor);
    currentSource = source;
    const modelClasses = model.head ? { ...get().modelClasses, [classesKey(model.manifest.id, model.head)]: model.classes } : get().modelClasses;
    set({ model, modelStatus: 'ready', loadProgress: null, modelClasses });
    // Waiting cells go to the worker first: the class-list write is off the path to the first result.
    void runQueue();
    await db.saveMeta('modelClasses', modelClasses).catch((e: Error) => set({ storageError: e.message }));
    return true;
  } catch (e) {
    // The previously loaded model (if any) stays active in the worker; only the message changes.
    set({ modelStatus: get().model ? 'ready' : 'error', modelError: (e as Error).message, loadProgress: null });
    return false;
  }
}

/**
 * A fresh inference worker (the thread count is fixed once WASM starts) with the model it had.
 * 'none' when no model was loaded yet.
 */
export async function restartWorker(): Promise<boolean | 'none'> {
  cancelJob();
  client.terminate();
  set({ model: null });
  return currentSource ? loadModel(currentSource) : 'none';
}

export type { DroppedFile } from '../core/fileFilter.ts';

/** Shows a case's stored cells (and drops the previous case's from memory). */
export async function showCaseCells(caseId: string): Promise<void> {
  await persist.flush();
  const stored = await db.loadCells(caseId).catch(() => [] as Cell[]);
  if (get().activeCase?.id !== caseId) return; // another case was opened meanwhile: its own call shows it
  const cells = cellsToShow(stored, orderedCells(get()), caseId);
  set({
    cells: Object.fromEntries(cells.map((c) => [c.id, c])),
    order: cells.map((c) => c.id),
    selectedId: null,
    selection: [],
    queuedCount: cells.filter((c) => c.status === 'queued').length,
  });
  void runQueue();
}

/**
 * addFiles works in slices of at most this many files or this much time, then yields to the page.
 * Storing a slice's files in IndexedDB costs about as much again, and both take longer on a busy
 * machine: 12 ms slices still made one 59 ms task in five 500-cell drops on 2 loaded cores.
 */
const ADD_SLICE_MAX_FILES = 100;
const ADD_SLICE_MS = 6;

export interface AddOptions {
  /** hidden/system files the caller already left out (e.g. a hidden folder it did not walk) */
  skipped?: readonly string[];
  /** add files even when they are identical to a cell already in the case ("Add anyway") */
  allowDuplicates?: boolean;
  /** dropped entries the browser could not read (reported with the add) */
  unreadable?: readonly { name: string; message: string }[];
}

/** The duplicates refused by the last add, kept for its "Add anyway". */
let pendingDuplicates: DroppedFile[] = [];

/** Cancel presses so far: an add still streaming files in when the user cancelled must not restart the run. */
let cancels = 0;

/** sha256 of a file's bytes, or null when they cannot be read (the cell then gets its own error row). */
async function hashFile(file: Blob): Promise<string | null> {
  try {
    return await sha256Hex(await file.arrayBuffer());
  } catch {
    return null;
  }
}

/** Cells stored before content hashes existed get theirs from their stored bytes, once, so they count too. */
async function backfillHashes(): Promise<void> {
  const { order, cells } = get();
  const missing = order.map((id) => cells[id]!).filter((c) => c && !c.imageHash);
  if (missing.length === 0) return;
  const blobs = await blobsFor(missing.map((c) => c.id));
  const hashed = await Promise.all(missing.map(async (c, i) => (blobs[i] ? { ...c, imageHash: (await hashFile(blobs[i]!)) ?? undefined } : c)));
  const now = get().cells;
  // Only cells still unchanged since they were read (a result may have landed meanwhile).
  updateCells(hashed.filter((c, i) => c.imageHash && now[c.id] === missing[i]));
}

/**
 * Adds files to the open case. A file identical (sha256 of its bytes) to a cell already in the case,
 * or to an earlier file of the same drop, is not added: the add report says how many and offers
 * "Add anyway". Hidden and system files (.DS_Store, Thumbs.db…) are skipped and counted.
 */
export async function addFiles(given: DroppedFile[], opts: AddOptions = {}): Promise<void> {
  const skipped = [...(opts.skipped ?? []), ...given.filter((f) => isIgnoredPath(f.path || f.file.name)).map((f) => f.path || f.file.name)];
  const files = skipped.length ? given.filter((f) => !isIgnoredPath(f.path || f.file.name)) : given;
  if (files.length === 0 && skipped.length === 0 && !opts.unreadable?.length) return;
  // Counted at once (before any await), so the page says it is reading them from the moment they are given.
  let unread = files.length;
  const read = (n: number): void => {
    unread -= n;
    set({ addingFiles: Math.max(0, get().addingFiles - n) });
  };
  set({ addingFiles: get().addingFiles + unread });
  try {
    await addFilesCounted(files, skipped, opts, read);
  } finally {
    if (unread > 0) read(unread);
  }
}

async function addFilesCounted(files: DroppedFile[], skipped: string[], opts: AddOptions, read: (n: number) => void): Promise<void> {
  await sessionRestored;
  const activeCase = get().activeCase;
  if (!activeCase) return;
  if (activeCase.status === 'signed') {
    set({ caseError: `Case ${activeCase.sampleId || ''} is signed and locked: unlock it (with a reason) to add cells.` });
    return;
  }
  if (!opts.allowDuplicates) await backfillHashes();
  const index = new HashIndex(opts.allowDuplicates ? [] : orderedCells(get()));
  const duplicates: { file: DroppedFile; sameAs: string }[] = [];
  let addedCount = 0;
  // Cells of this add are classified as they arrive, unless the user cancels meanwhile: the rest then
  // wait for "Classify N waiting cells" (or the next add).
  const cancelsAtStart = cancels;
  const classifyArrived = (): void => {
    if (cancels === cancelsAtStart) void runQueue();
  };
  const now = Date.now();
  // In short slices, yielding in between, so that a big drop never blocks the page: reading a picked
  // file's name and size asks the browser process for its metadata (~0.3 ms a file on 2 cores — 200
  // files were a 60–120 ms task). Hashing is asynchronous (the bytes are read and digested off the
  // main thread), so it only adds waiting, not main-thread work.
  for (let start = 0; start < files.length; ) {
    const sliceStart = performance.now();
    const slice: { f: DroppedFile; name: string; bytes: number; at: number }[] = [];
    for (; start < files.length && slice.length < ADD_SLICE_MAX_FILES && performance.now() - sliceStart < ADD_SLICE_MS; start++) {
      const f = files[start]!;
      slice.push({ f, name: f.path || f.file.name, bytes: f.file.size, at: now + start / 1000 });
    }
    const hashes = await Promise.all(slice.map((s) => hashFile(s.f.file)));
    const { keep, duplicates: dups } = opts.allowDuplicates
      ? { keep: slice.map((_, i) => i), duplicates: [] }
      : index.take(slice.map((s, i) => ({ hash: hashes[i]!, name: s.name })));
    for (const d of dups) duplicates.push({ file: slice[d.index]!.f, sameAs: d.sameAs });
    if (get().activeCase?.id !== activeCase.id) break; // the user opened another case meanwhile
    const added: Cell[] = keep.map((i) => {
      const s = slice[i]!;
      return {
        id: crypto.randomUUID(),
        caseId: activeCase.id,
        name: s.name,
        bytes: s.bytes,
        addedAt: s.at,
        status: 'queued',
        probabilities: null,
        modelId: null,
        modelVersion: null,
        ...(hashes[i] ? { imageHash: hashes[i]! } : {}),
        userClass: null,
        error: null,
      };
    });
    const blobs = keep.map((i) => slice[i]!.f.file);
    addedCount += added.length;
    if (added.length === 0) {
      read(slice.length);
      continue;
    }
    added.forEach((c, i) => memoryBlobs.set(c.id, blobs[i]!));
    set({ order: [...get().order, ...added.map((c) => c.id)] });
    updateCells(added);
    read(slice.length); // they are cells (or refused duplicates) now, in the same task as the cells appear
    classifyArrived();
    await db.saveImages(added.map((c, i) => [c.id, blobs[i]!] as [string, Blob])).catch((e: Error) => set({ storageError: e.message }));
    await new Promise((r) => setTimeout(r, 0));
  }
  pendingDuplicates = duplicates.map((d) => d.file);
  const unreadable = [...(opts.unreadable ?? [])];
  set({ addReport: { added: addedCount, duplicates: duplicates.map((d) => ({ name: d.file.path || d.file.file.name, sameAs: d.sameAs })), skipped, ...(unreadable.length ? { unreadable } : {}) } });
  const parts = [`${addedCount} file(s)`];
  if (duplicates.length) parts.push(`${duplicates.length} duplicate(s) skipped`);
  if (skipped.length) parts.push(`${skipped.length} hidden/system file(s) skipped`);
  if (unreadable.length) parts.push(`${unreadable.length} dropped item(s) could not be read`);
  if (opts.allowDuplicates) parts.push('added anyway although identical to cells in the case');
  void recordCaseEvent({ action: 'add-cells', detail: parts.join('; ') });
  classifyArrived();
}

/**
 * A drop: its folders are walked first (seconds for a big folder tree), and the page says so from the
 * drop on; the files then go to addFiles, whose own count takes over in the same task.
 */
export async function addDropped(collecting: Promise<{ files: DroppedFile[]; skipped: string[]; unreadable: { name: string; message: string }[] }>): Promise<void> {
  set({ walkingDrops: get().walkingDrops + 1 });
  let adding: Promise<void>;
  try {
    const { files, skipped, unreadable } = await collecting;
    adding = addFiles(files, { skipped, unreadable });
  } catch (e) {
    // Not one entry could be listed: nothing to add, but the user is told rather than left waiting.
    adding = addFiles([], { unreadable: [{ name: 'the dropped items', message: (e as Error)?.message || String(e) }] });
  } finally {
    set({ walkingDrops: Math.max(0, get().walkingDrops - 1) });
  }
  await adding;
}

/** "Add anyway": adds the duplicates the last add refused. */
export function addDuplicatesAnyway(): Promise<void> {
  const files = pendingDuplicates;
  pendingDuplicates = [];
  set({ addReport: null });
  return addFiles(files, { allowDuplicates: true });
}

export function dismissAddReport(): void {
  pendingDuplicates = [];
  set({ addReport: null });
}

function applyBatch(report: BatchReport): void {
  const { model, cells } = get();
  // The worker says which head classified the batch: right after "Use this head" the store's model
  // can still name the previous one (the two replies come over different message ports).
  const head = report.head !== undefined ? report.head : (model?.head ?? null);
  if (model && head && report.classes) {
    const key = classesKey(model.manifest.id, head);
    if (!get().modelClasses[key]) set({ modelClasses: { ...get().modelClasses, [key]: report.classes.slice() } });
  }
  const changed: Cell[] = [];
  const vectors: [string, Float32Array][] = [];
  for (const o of report.outcomes) {
    const cell = cells[o.id];
    // A result only lands on a cell still waiting for one: each cell gets exactly one.
    if (!cell || cell.status !== 'queued') continue;
    if (o.ok) {
      const next: Cell = {
        ...cell,
        status: 'classified',
        probabilities: Array.from(o.probabilities, (p) => Math.round(p * 1e6) / 1e6),
        width: o.width,
        height: o.height,
        modelId: model?.manifest.id ?? null,
        modelVersion: model?.manifest.version ?? null,
        head,
        shift: o.shift ? { score: o.shift.score, flagged: o.shift.flagged } : null,
        error: null,
      };
      if (model) next.encoderKey = model.encoderKey;
      if (o.framing) next.framing = { ...o.framing };
      else delete next.framing;
      if (o.secondView) next.secondView = true;
      else delete next.secondView;
      changed.push(next);
      if (model) vectors.push([embeddingKey(model.encoderKey, cell), o.embedding]);
    } else {
      changed.push({ ...cell, status: 'error', error: { reason: o.reason, message: o.message } });
    }
  }
  updateCells(changed);
  // Kept for re-classifying with another head, lab-head training and the embedding map; losing them
  // loses nothing the user made (they are computed again when needed), so a refusal is not shown.
  void saveEmbeddings(vectors).catch(() => {});
  const job = get().job;
  if (job) {
    const done = job.done + changed.length;
    const seconds = (performance.now() - job.startedAt) / 1000;
    const cellsPerSecond = seconds > 0 ? done / seconds : 0;
    const remaining = Math.max(0, job.total - done);
    set({ job: { ...job, done, cellsPerSecond, etaSeconds: cellsPerSecond > 0 ? remaining / cellsPerSecond : null } });
  }
}

/** Which of these cells still have their image bytes (in this tab or in browser storage). */
export async function haveImages(ids: string[]): Promise<boolean[]> {
  return (await blobsFor(ids)).map((b) => b !== undefined);
}

async function blobsFor(ids: string[]): Promise<(Blob | undefined)[]> {
  const missing = ids.filter((id) => !memoryBlobs.has(id));
  const stored = missing.length ? await db.loadImages(missing).catch(() => missing.map(() => undefined)) : [];
  const fromDb = new Map(missing.map((id, i) => [id, stored[i]]));
  return ids.map((id) => memoryBlobs.get(id) ?? fromDb.get(id));
}

export async function runQueue(): Promise<void> {
  // An encoder without a head (e.g. just converted) cannot classify: cells wait until a head is set.
  if (queueRunning || embeddingJob || get().modelStatus !== 'ready' || !get().model?.head) return;
  queueRunning = true;
  queueIdle = new Promise((r) => (markQueueIdle = r));
  abortController = new AbortController();
  const signal = abortController.signal;
  const startedAt = performance.now();
  let crashesOnSameCell = 0;
  let lastCrashCell: string | null = null;
  try {
    for (;;) {
      const { order, cells } = get();
      const queued = order.filter((id) => cells[id]?.status === 'queued');
      if (queued.length === 0 || signal.aborted) break;
      const job = get().job;
      set({ job: { total: (job?.done ?? 0) + queued.length, done: job?.done ?? 0, startedAt: job?.startedAt ?? startedAt, cellsPerSecond: job?.cellsPerSecond ?? 0, etaSeconds: job?.etaSeconds ?? null } });
      const ids = queued.slice(0, CHUNK_SIZE);
      const blobs = await blobsFor(ids);
      const inputs: CellInput[] = [];
      const lost: Cell[] = [];
      ids.forEach((id, i) => {
        const blob = blobs[i];
        const cell = get().cells[id]!;
        if (blob) inputs.push({ id, name: cell.name, blob });
        else lost.push({ ...cell, status: 'error', error: { reason: 'missing', message: 'The image bytes are no longer in browser storage.' } });
      });
      updateCells(lost);
      try {
        const call = Symbol('classify');
        acceptedCall = call;
        const summary = await client.classify(inputs, {
          signal,
          // A report still in flight from a worker that has just died must not land after its cells
          // were queued again for the new worker.
          onBatch: (report) => {
            if (acceptedCall === call) applyBatch(report);
          },
        });
        acceptedCall = null;
        if (summary.cancelled) break;
      } catch (e) {
        acceptedCall = null;
        if (!(e instanceof WorkerCrashedError) || !currentSource) throw e;
        // Unreported cells are still 'queued': restart the worker, reload, and resume from them.
        const first = get().order.find((id) => get().cells[id]?.status === 'queued') ?? null;
        crashesOnSameCell = first === lastCrashCell ? crashesOnSameCell + 1 : 1;
        lastCrashCell = first;
        if (first && crashesOnSameCell >= 2) {
          const cell = get().cells[first]!;
          updateCells([{ ...cell, status: 'error', error: { reason: 'worker-crash', message: 'This image made the inference worker crash twice; skipped.' } }]);
        }
        await recovering;
        if (get().modelStatus !== 'ready') break;
      }
    }
  } catch (e) {
    set({ modelError: `Classification stopped: ${(e as Error).message}` });
  } finally {
    const job = get().job;
    if (job && job.done > 0) {
      const seconds = (performance.now() - job.startedAt) / 1000;
      set({ lastRun: { cells: job.done, seconds, cellsPerSecond: job.done / seconds } });
    }
    set({ job: null });
    queueRunning = false;
    markQueueIdle();
    abortController = null;
    await persist.flush();
    void askPersistenceOnce();
  }
}

/**
 * After the first classification, ask the browser to keep this origin's data (images, results,
 * models) even under disk pressure, and tell the user why — once per browser profile.
 */
async function askPersistenceOnce(): Promise<void> {
  const anyClassified = Object.values(get().cells).some((c) => c.status === 'classified');
  if (!anyClassified || (await db.loadMeta<boolean>('persistAsked').catch(() => true))) return;
  await db.saveMeta('persistAsked', true).catch(() => {});
  const granted = await requestPersistence();
  set({
    persistNotice: granted
      ? 'This browser will keep your cells, results and models even when disk space runs low (persistent storage granted).'
      : 'Your cells and results are stored in this browser, which may delete them if disk space runs low (persistent storage was not granted). Export important sessions.',
  });
}

async function loadModelQuietly(source: BundleSource): Promise<void> {
  try {
    const model = await client.loadBundle(source, get().backendSettings);
    set({ model, modelStatus: 'ready' });
  } catch (e) {
    set({ modelStatus: 'error', modelError: (e as Error).message });
  }
}

/**
 * Embeds cells with the active encoder (lab-head training) once the classification queue is idle;
 * cells dropped meanwhile wait and are classified right after. Survives nothing: a worker crash
 * rejects it (the caller reports it), and the queue resumes.
 */
export async function embedWithActiveEncoder(cells: CellInput[], opts: { signal?: AbortSignal; onBatch: (r: BatchReport) => void }): Promise<ClassifySummary> {
  while (embeddingJob) await embeddingJob.catch(() => {});
  await queueIdle;
  if (get().modelStatus !== 'ready') throw new Error('The model is not loaded.');
  const job = client.embed(cells, opts);
  embeddingJob = job;
  try {
    return await job;
  } finally {
    embeddingJob = null;
    void runQueue();
  }
}

/** Sets the worker's head (null: the bundle's own) for the loaded model and records it in the store. */
export async function setActiveHead(spec: HeadSpec | null): Promise<void> {
  const model = get().model;
  if (!model) throw new Error('No model is loaded.');
  const { classes, head, shift } = await client.setHead(model.manifest.id, spec);
  // The model as it is now, not as it was before the await (its calibration or backend may have
  // changed meanwhile); another model loaded meanwhile has its own head, so this one is dropped.
  const now = get().model;
  if (!now || now.manifest.id !== model.manifest.id || now.encoderKey !== model.encoderKey) return;
  const modelClasses = head ? { ...get().modelClasses, [classesKey(model.manifest.id, head)]: classes } : get().modelClasses;
  set({ model: { ...now, classes, head, shift }, modelClasses });
  await db.saveMeta('modelClasses', modelClasses).catch((e: Error) => set({ storageError: e.message }));
  void runQueue();
}

export function cancelJob(): void {
  cancels++;
  abortController?.abort();
}

/** Deletes every cell of the open case — only that case's (its metadata and audit trail stay). */
export async function clearSession(): Promise<void> {
  if (get().activeCase?.status === 'signed') {
    set({ caseError: 'This case is signed and locked: unlock it (with a reason) before deleting cells.' });
    return;
  }
  cancelJob();
  const ids = get().order;
  forgetCells(ids);
  set({ cells: {}, order: [], selectedId: null, selection: [], queuedCount: 0, lastRun: null, addReport: null, detailOpen: false });
  pendingDuplicates = [];
  await db.deleteCells(ids).catch((e: Error) => set({ storageError: e.message }));
  void recordCaseEvent({ action: 'delete-cells', detail: `${ids.length} cell(s)` });
}

function forgetCells(ids: readonly string[]): void {
  persist.forget([...ids]);
  for (const id of ids) memoryBlobs.delete(id);
}

/**
 * Removes single cells (a wrong crop, an unreadable file's error row) from the open case, with one
 * audit entry per cell (file, the class it showed, why). Refused while the case is signed.
 */
export async function removeCells(ids: readonly string[], classOf: (cell: Cell) => string | null): Promise<void> {
  const c = get().activeCase;
  if (!c || c.status === 'signed') {
    set({ caseError: 'This case is signed and locked: unlock it (with a reason) to remove cells.' });
    return;
  }
  const { cells, order, selection } = get();
  const gone = ids.map((id) => cells[id]).filter((x): x is Cell => Boolean(x));
  if (gone.length === 0) return;
  const goneIds = new Set(gone.map((x) => x.id));
  forgetCells([...goneIds]);
  const rest = { ...cells };
  for (const id of goneIds) delete rest[id];
  set({
    cells: rest,
    order: order.filter((id) => !goneIds.has(id)),
    selection: selection.filter((id) => !goneIds.has(id)),
    selectedId: goneIds.has(get().selectedId ?? '') ? null : get().selectedId,
    queuedCount: Object.values(rest).filter((x) => x.status === 'queued').length,
  });
  await db.deleteCells([...goneIds]).catch((e: Error) => set({ storageError: e.message }));
  await recordCaseEvents(
    gone.map((cell) => ({
      action: 'remove-cell' as const,
      cellId: cell.id,
      file: cell.name,
      from: cell.status === 'error' ? null : classOf(cell),
      detail: cell.status === 'error' ? `could not be classified: ${cell.error?.message ?? ''}`.trim() : 'removed from the case',
    })),
  );
}

/** Forgets a deleted case's cells everywhere (memory, pending writes, IndexedDB). */
export async function deleteCaseCells(caseId: string): Promise<void> {
  await persist.flush();
  const cells = await db.loadCells(caseId).catch(() => [] as Cell[]);
  const ids = cells.map((c) => c.id);
  for (const id of ids) memoryBlobs.delete(id);
  await db.deleteCells(ids);
}

/** Flushes pending cell writes (before export, switching case, or import). */
export function flushCells(): Promise<void> {
  return persist.flush();
}

function exportRows() {
  const { order, cells, model, modelClasses, activeCase } = get();
  const classes = model?.classes ?? [];
  const threshold = effectiveThreshold();
  const sampleId = activeCase?.sampleId ?? '';
  return order.map((id) => {
    const cell = cells[id]!;
    const own = cellClasses(cell, modelClasses);
    const row = { ...toExportRow(cell, viewCell(cell, own, threshold)), sampleId };
    // Probability columns follow the active classifier's classes; map by name when a cell used another.
    if (row.probabilities && own && own !== classes) {
      row.probabilities = classes.map((c) => {
        const j = own.indexOf(c);
        return j >= 0 ? row.probabilities![j]! : Number.NaN;
      });
    }
    return row;
  });
}

export function exportCsvText(): string {
  return toCsv(exportRows(), get().model?.classes ?? []);
}

/** The results document (same content as the CSV, plus model id/version). */
export function resultsJson(): unknown {
  const { model, activeCase } = get();
  const m = model?.manifest;
  const c = activeCase;
  return JSON.parse(
    toJson(exportRows(), model?.classes ?? [], { id: m?.id ?? 'none', name: m?.name ?? 'none', version: m?.version ?? '', head: model?.head ?? null }, undefined, {
      ...(c ? { case: { sampleId: c.sampleId, date: c.date, operator: c.operator, status: c.status, signedBy: c.signedBy, signedAt: c.signedAt } } : {}),
      shift: shiftExport(caseShiftSummary(get().order.map((id) => get().cells[id]!), model)),
    }),
  );
}

/** The reviewer's threshold when set, else the active model's. */
export function effectiveThreshold(): number {
  const s = get();
  return s.thresholdOverride ?? s.model?.manifest.unidentifiedThreshold ?? 0.5;
}

/** Image bytes for a thumbnail or the detail view: this tab's memory first, then IndexedDB. */
export async function getCellImage(id: string): Promise<Blob | undefined> {
  return memoryBlobs.get(id) ?? (await db.loadImage(id).catch(() => undefined));
}
