/**
 * Cases and review: open/create/delete cases, edit their fields, reclassify cells (with undo/redo),
 * sign and unlock, lab classes and threshold, and lossless case export/import. Every
 * reclassification, sign and unlock is written to the case's audit trail (who, when, from → to).
 */
import { appendAudit, canSign, isLocked, newCase, sign, unlock, type AuditEntry, type CaseRecord, type SignCheck } from '../core/case.ts';
import { buildCaseArchive, bytesToBase64, base64ToBytes, parseCaseArchive, type ArchivedImage } from '../core/caseArchive.ts';
import { cellClasses, classesKey, viewCell, type Cell } from '../core/cell.ts';
import type { UserClass } from '../core/cellTypes.ts';
import { record, redo, undo, type Reclassification } from '../core/history.ts';
import { deleteCaseRecord, getCase, listCases, saveCase } from '../storage/cases.ts';
import * as db from '../storage/db.ts';
import { deleteCaseCells, effectiveThreshold, flushCells, getCellImage, resultsJson, showCaseCells, updateCells } from './actions.ts';
import { nowIso, persistCase, recordCaseEvent, recordCaseEvents, who } from './caseEvents.ts';
import { useApp } from './index.ts';

// re-exported: callers of the case actions record events through them too
export { recordCaseEvent, recordCaseEvents };

const set = useApp.setState;
const get = useApp.getState;

export async function openInitialCase(): Promise<void> {
  const userClasses = (await db.loadMeta<UserClass[]>('userClasses').catch(() => undefined)) ?? [];
  const thresholdOverride = (await db.loadMeta<number | null>('thresholdOverride').catch(() => undefined)) ?? null;
  set({ userClasses, thresholdOverride });
  const cases = await listCases().catch(() => [] as CaseRecord[]);
  const activeId = await db.loadMeta<string>('activeCaseId').catch(() => undefined);
  let active = cases.find((c) => c.id === activeId) ?? cases[0];
  if (!active) {
    active = newCase({ id: crypto.randomUUID(), now: new Date() });
    await saveCase(active).catch((e: Error) => set({ storageError: e.message }));
    cases.push(active);
  }
  // Cells saved before cases existed belong to the first case.
  const orphans = await db.loadOrphanCells().catch(() => [] as Cell[]);
  if (orphans.length) await db.saveCells(orphans.map((c) => ({ ...c, caseId: active.id }))).catch(() => {});
  set({ activeCase: active, cases });
  await openCase(active.id);
}

export async function openCase(id: string): Promise<void> {
  const c = id === get().activeCase?.id ? get().activeCase : await getCase(id);
  if (!c) return;
  set({ activeCase: c, history: { past: [], future: [] }, caseError: null, addReport: null, detailOpen: false, pageClass: null, toast: null });
  await db.saveMeta('activeCaseId', id).catch(() => {});
  await showCaseCells(id);
}

export async function createCase(): Promise<void> {
  const prev = get().activeCase;
  const c = newCase({ id: crypto.randomUUID(), now: new Date(), operator: prev?.operator ?? '' });
  await persistCase(c);
  await openCase(c.id);
}

export async function deleteCase(id: string): Promise<void> {
  await deleteCaseCells(id);
  await deleteCaseRecord(id);
  const rest = get().cases.filter((c) => c.id !== id);
  set({ cases: rest });
  if (get().activeCase?.id === id) {
    if (rest[0]) await openCase(rest[0].id);
    else await createCase();
  }
}

type EditableField = 'sampleId' | 'date' | 'operator' | 'notes' | 'target' | 'wbcCount' | 'rbcMorphology' | 'plateletMorphology';

export async function updateCaseField<K extends EditableField>(field: K, value: CaseRecord[K]): Promise<void> {
  const c = get().activeCase;
  if (!c || c[field] === value || ((field === 'rbcMorphology' || field === 'plateletMorphology') && (c[field] ?? '') === value)) return;
  if (isLocked(c)) {
    set({ caseError: 'This case is signed and locked: unlock it (with a reason) to change it.' });
    return;
  }
  const edited = appendAudit({ ...c, [field]: value }, {
    at: nowIso(), who: field === 'operator' ? String(value || c.operator || 'unnamed user') : who(), action: 'edit',
    detail: field, from: c[field] === null || c[field] === undefined ? null : String(c[field]), to: value === null ? null : String(value),
  });
  await persistCase(edited);
}

/** The class each cell shows now (reviewer's class, prediction, or Unidentified). */
export function currentClassName(cell: Cell): string | null {
  return viewCell(cell, cellClasses(cell, get().modelClasses), effectiveThreshold()).className;
}

async function applyReclassification(r: Reclassification, detail?: string): Promise<void> {
  const cells = get().cells;
  const changed: Cell[] = [];
  const entries: AuditEntry[] = [];
  for (const ch of r.changes) {
    const cell = cells[ch.cellId];
    if (!cell) continue;
    const from = currentClassName(cell);
    const next = { ...cell, userClass: ch.to };
    changed.push(next);
    entries.push({ at: nowIso(), who: who(), action: 'reclassify', cellId: cell.id, file: cell.name, from, to: currentClassName(next), ...(detail ? { detail } : {}) });
  }
  updateCells(changed);
  let c = get().activeCase;
  if (c) {
    for (const e of entries) c = appendAudit(c, e);
    await persistCase(c);
  }
}

/**
 * Assigns a class (null = back to the model's prediction) to cells; refused while the case is signed.
 * Resolves to the number of cells changed.
 */
export async function reclassify(ids: readonly string[], to: string | null): Promise<number> {
  const c = get().activeCase;
  if (!c || isLocked(c)) {
    set({ caseError: 'This case is signed and locked: unlock it (with a reason) to reclassify cells.' });
    return 0;
  }
  const cells = get().cells;
  const r: Reclassification = {
    changes: ids.flatMap((id) => {
      const cell = cells[id];
      // Only cells that have a result (or a reviewer class) can be reclassified.
      if (!cell || cell.status === 'queued' || cell.userClass === to) return [];
      return [{ cellId: id, from: cell.userClass, to }];
    }),
  };
  if (r.changes.length === 0) return 0;
  set({ history: record(get().history, r), caseError: null });
  await applyReclassification(r);
  return r.changes.length;
}

/** Undoes the last reclassification; returns the ids of the cells it put back (none when nothing to undo). */
export async function undoReclassify(): Promise<string[]> {
  if (isLocked(get().activeCase)) return [];
  const { history, apply } = undo(get().history);
  if (!apply) return [];
  set({ history });
  await applyReclassification(apply, 'undo');
  return apply.changes.map((c) => c.cellId);
}

/** Redoes the last undone reclassification; returns the ids of the cells it changed. */
export async function redoReclassify(): Promise<string[]> {
  if (isLocked(get().activeCase)) return [];
  const { history, apply } = redo(get().history);
  if (!apply) return [];
  set({ history });
  await applyReclassification(apply, 'redo');
  return apply.changes.map((c) => c.cellId);
}

export function signCheck(signer: string): SignCheck {
  const c = get().activeCase;
  if (!c) return { ok: false, reasons: ['No case is open.'] };
  const cells = get()
    .order.map((id) => get().cells[id]!)
    .map((cell) => ({ status: cell.status, className: currentClassName(cell), shiftFlagged: cell.shift?.flagged === true, reviewed: cell.userClass !== null }));
  return canSign(c, cells, signer);
}

export async function signCase(signer: string): Promise<boolean> {
  const c = get().activeCase;
  const check = signCheck(signer);
  if (!c || !check.ok) {
    set({ caseError: check.reasons.join(' ') });
    return false;
  }
  await flushCells();
  await persistCase(sign(c, signer.trim(), new Date()));
  set({ caseError: null, selection: [] });
  return true;
}

export async function unlockCase(reason: string): Promise<boolean> {
  const c = get().activeCase;
  if (!c) return false;
  try {
    await persistCase(unlock(c, who(), reason, new Date()));
    set({ caseError: null });
    return true;
  } catch (e) {
    set({ caseError: (e as Error).message });
    return false;
  }
}

export async function addUserClass(name: string, countsAsWbc: boolean): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed || get().userClasses.some((u) => u.name.toLowerCase() === trimmed.toLowerCase())) return;
  const userClasses = [...get().userClasses, { name: trimmed, countsAsWbc }];
  set({ userClasses });
  await db.saveMeta('userClasses', userClasses).catch((e: Error) => set({ storageError: e.message }));
}

export async function setThresholdOverride(value: number | null): Promise<void> {
  set({ thresholdOverride: value });
  await db.saveMeta('thresholdOverride', value).catch(() => {});
}

/** The whole case as JSON: metadata, audit trail, every cell with its image, and the results table. */
export async function exportCaseArchive(): Promise<string> {
  const c = get().activeCase;
  if (!c) throw new Error('No case is open.');
  await flushCells();
  const cells = get().order.map((id) => get().cells[id]!);
  const images: Record<string, ArchivedImage> = {};
  for (const cell of cells) {
    const blob = await getCellImage(cell.id);
    if (blob) images[cell.id] = { type: blob.type || 'application/octet-stream', base64: bytesToBase64(new Uint8Array(await blob.arrayBuffer())) };
  }
  const used = new Set(cells.flatMap((x) => (x.modelId ? [classesKey(x.modelId, x.head)] : [])));
  const modelClasses = Object.fromEntries(Object.entries(get().modelClasses).filter(([id]) => used.has(id)));
  return JSON.stringify(buildCaseArchive(c, cells, images, modelClasses, resultsJson()));
}

/** Restores an exported case. Same ids when they are free (lossless); a copy with new ids otherwise. */
export async function importCaseArchive(file: Blob): Promise<boolean> {
  let json: unknown;
  try {
    json = JSON.parse(await file.text());
  } catch {
    set({ caseError: 'That file is not JSON: choose a case file exported by DinoBloom Web.' });
    return false;
  }
  const parsed = parseCaseArchive(json);
  if (!parsed.ok) {
    set({ caseError: `Not a valid case file: ${parsed.errors.slice(0, 3).join('; ')}` });
    return false;
  }
  const { archive } = parsed;
  const exists = Boolean(await getCase(archive.case.id));
  const caseId = exists ? crypto.randomUUID() : archive.case.id;
  const idMap = new Map(archive.cells.map((c) => [c.id, exists ? crypto.randomUUID() : c.id]));
  let caseRecord: CaseRecord = { ...archive.case, id: caseId };
  if (exists) caseRecord = appendAudit(caseRecord, { at: nowIso(), who: who(), action: 'import', detail: `imported as a copy of case ${archive.case.id}` });
  const cells = archive.cells.map((c) => ({ ...c, id: idMap.get(c.id)!, caseId }));
  try {
    const images = Object.entries(archive.images).map(([id, img]) => [idMap.get(id)!, new Blob([base64ToBytes(img.base64).slice().buffer], { type: img.type })] as [string, Blob]);
    await db.saveImages(images);
    await db.saveCells(cells);
    await saveCase(caseRecord);
  } catch (e) {
    await db.deleteCells(cells.map((c) => c.id)).catch(() => {});
    set({ caseError: `Import failed: ${(e as Error).message}` });
    return false;
  }
  const modelClasses = { ...archive.modelClasses, ...get().modelClasses };
  set({ modelClasses, cases: [caseRecord, ...get().cases.filter((c) => c.id !== caseId)] });
  await db.saveMeta('modelClasses', modelClasses).catch(() => {});
  await openCase(caseId);
  return true;
}
