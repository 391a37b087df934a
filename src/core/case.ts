/**
 * A case: one sample under review (sample ID, date, operator, notes, target count, analyser WBC),
 * its audit trail, and signing. A signed case is locked; unlocking it needs a reason, which the
 * audit trail keeps. All functions are pure: they return new records and never mutate.
 */
import { UNIDENTIFIED } from './head.ts';

export type CaseStatus = 'open' | 'signed';

export type AuditAction = 'create' | 'edit' | 'reclassify' | 'sign' | 'unlock' | 'add-cells' | 'delete-cells' | 'remove-cell' | 'import' | 'reclassify-head' | 'reclassify-model';

export const AUDIT_ACTIONS: readonly AuditAction[] = ['create', 'edit', 'reclassify', 'sign', 'unlock', 'add-cells', 'delete-cells', 'remove-cell', 'import', 'reclassify-head', 'reclassify-model'];

export interface AuditEntry {
  /** ISO time */
  at: string;
  who: string;
  action: AuditAction;
  cellId?: string;
  file?: string;
  from?: string | null;
  to?: string | null;
  reason?: string;
  detail?: string;
}

export interface CaseRecord {
  id: string;
  sampleId: string;
  /** YYYY-MM-DD */
  date: string;
  operator: string;
  notes: string;
  createdAt: string;
  status: CaseStatus;
  signedBy: string | null;
  signedAt: string | null;
  target: 100 | 200;
  wbcCount: number | null;
  /** Free-text red-cell morphology for the report (e.g. "anisocytosis +, target cells"); absent = none written. */
  rbcMorphology?: string;
  /** Free-text platelet morphology for the report (e.g. "giant platelets seen"). */
  plateletMorphology?: string;
  audit: AuditEntry[];
}

/** Local calendar date of `d` as YYYY-MM-DD. */
export function localDate(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A new open case (target 100 white cells) whose audit trail starts with a 'create' entry. */
export function newCase(init: { id: string; now: Date; operator?: string; sampleId?: string }): CaseRecord {
  const at = init.now.toISOString();
  const operator = init.operator ?? '';
  return {
    id: init.id,
    sampleId: init.sampleId ?? '',
    date: localDate(init.now),
    operator,
    notes: '',
    createdAt: at,
    status: 'open',
    signedBy: null,
    signedAt: null,
    target: 100,
    wbcCount: null,
    audit: [{ at, who: operator, action: 'create' }],
  };
}

export interface SignCheck {
  ok: boolean;
  reasons: string[];
}

const cellsWord = (n: number) => (n === 1 ? '1 cell' : `${n} cells`);
const isAre = (n: number) => (n === 1 ? 'is' : 'are');

/** What canSign needs of a cell. */
export interface SignCellInput {
  status: 'queued' | 'classified' | 'error';
  className: string | null;
  /** the shift check flagged the cell as unlike the model's training data (absent: not flagged / checks off) */
  shiftFlagged?: boolean;
  /** a reviewer gave the cell a class (its userClass is set) */
  reviewed?: boolean;
}

/**
 * Whether `signer` may sign the case now, and if not, every reason why (in a fixed order).
 * Unidentified cells block signing (each must be given a class, "Not classed" included); so do
 * cells still waiting for classification, and classified cells with no class at all (their
 * model's class list is missing). Error cells do not block: they are reported as errors. Cells the
 * shift check flagged as unlike the training data block like Unidentified ones until a reviewer has
 * given them a class.
 */
export function canSign(
  c: CaseRecord,
  cells: readonly SignCellInput[],
  signer: string,
): SignCheck {
  const reasons: string[] = [];
  if (c.status === 'signed') {
    reasons.push(`This case is already signed${c.signedBy ? ` by ${c.signedBy}` : ''}${c.signedAt ? ` (${c.signedAt})` : ''}.`);
  }
  if (signer.trim() === '') reasons.push('Enter the name of the person signing the case.');
  if (c.sampleId.trim() === '') reasons.push('The sample ID is blank: enter it before signing.');
  let classified = 0;
  let unidentified = 0;
  let noClass = 0;
  let queued = 0;
  let unlike = 0;
  for (const cell of cells) {
    if (cell.status === 'queued') queued++;
    else if (cell.status === 'classified') {
      if (cell.className === UNIDENTIFIED) unidentified++;
      else if (cell.className === null || cell.className === undefined) noClass++;
      else {
        classified++;
        // Like an Unidentified cell: the model's class means little for a cell unlike its training
        // data, so a reviewer must look at it (give it a class, the same one included).
        if (cell.shiftFlagged === true && cell.reviewed !== true) unlike++;
      }
    }
  }
  if (classified === 0) reasons.push('There are no classified cells in this case: nothing to report.');
  if (unidentified > 0) {
    reasons.push(`${cellsWord(unidentified)} ${isAre(unidentified)} still Unidentified: give each a class (or "Not classed") before signing.`);
  }
  if (unlike > 0) {
    reasons.push(`${cellsWord(unlike)} ${isAre(unlike)} flagged as unlike the training data: look at each and give it a class (or "Not classed") before signing.`);
  }
  if (noClass > 0) {
    reasons.push(`${cellsWord(noClass)} ${noClass === 1 ? 'has' : 'have'} a result but no class (the model's class list is missing): load the model or reclassify them.`);
  }
  if (queued > 0) reasons.push(`${cellsWord(queued)} ${isAre(queued)} still waiting for classification.`);
  return { ok: reasons.length === 0, reasons };
}

/** The case with one more audit entry (the input is not changed). */
export function appendAudit(c: CaseRecord, entry: AuditEntry): CaseRecord {
  return { ...c, audit: [...c.audit, { ...entry }] };
}

/** A signed case is locked: no edits or reclassifications until it is unlocked. */
export function isLocked(c: CaseRecord | null | undefined): boolean {
  return c?.status === 'signed';
}

/**
 * Signs the case. Throws when it is already signed or the signer's name is blank; whether the
 * cells allow signing is `canSign`'s job (call it first).
 */
export function sign(c: CaseRecord, signer: string, now: Date): CaseRecord {
  if (c.status === 'signed') throw new Error(`This case is already signed${c.signedBy ? ` by ${c.signedBy}` : ''}.`);
  const who = signer.trim();
  if (who === '') throw new Error('Enter the name of the person signing the case.');
  const at = now.toISOString();
  return appendAudit({ ...c, status: 'signed', signedBy: who, signedAt: at }, { at, who, action: 'sign' });
}

/**
 * Unlocks a signed case so it can be changed again. The reason is required (non-blank) and kept in
 * the audit trail with who signed it before. Throws when the reason is blank or the case is not signed.
 */
export function unlock(c: CaseRecord, who: string, reason: string, now: Date): CaseRecord {
  const why = reason.trim();
  if (why === '') throw new Error('Give a reason for unlocking a signed case.');
  if (c.status !== 'signed') throw new Error('This case is not signed, so there is nothing to unlock.');
  const detail = `signed by ${c.signedBy ?? 'unknown'}${c.signedAt ? ` at ${c.signedAt}` : ''}`;
  return appendAudit(
    { ...c, status: 'open', signedBy: null, signedAt: null },
    { at: now.toISOString(), who, action: 'unlock', reason: why, detail },
  );
}

/**
 * Progress towards the target count in words: "87 / 100 white cells", "100 / 100 white cells — target
 * reached", "112 / 100 white cells — 12 past the target" (counting past it is said, never hidden).
 */
export function targetText(wbcTotal: number, target: number): string {
  const base = `${wbcTotal} / ${target} white cells`;
  if (wbcTotal === target) return `${base} — target reached`;
  if (wbcTotal > target) return `${base} — ${wbcTotal - target} past the target`;
  return base;
}
