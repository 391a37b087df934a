/**
 * The review loop around a class key: assign the class, tell the reviewer what happened (a toast
 * with Undo), and move the selection (and, when the key was pressed in the gallery, keyboard focus)
 * to the next cell of the group. Also the reviewer's preferences, the legend's class list before the
 * model has loaded, and removing cells.
 */
import { isLocked } from '../core/case.ts';
import { cellClasses, viewCell, type Cell } from '../core/cell.ts';
import { NOT_CLASSED, type UserClass } from '../core/cellTypes.ts';
import { labLabel } from '../core/labLabels.ts';
import { firstPending, groupCells, nextAfter, reviewClassList, reviewSequence, stepWithTrail, type CellGroup, type ReviewItem } from '../core/reviewOrder.ts';
import * as db from '../storage/db.ts';
import { effectiveThreshold, removeCells } from './actions.ts';
import { currentClassName, reclassify, redoReclassify, undoReclassify } from './caseActions.ts';
import { orderedCells } from './cellsSlice.ts';
import { useApp, type AppState } from './index.ts';
import { DEFAULT_REVIEW_PREFS, THUMB_MAX_PX, THUMB_MIN_PX, type ReviewPrefs } from './reviewSlice.ts';
import { selectCell } from './selection.ts';

const set = useApp.setState;
const get = useApp.getState;

const PREFS_KEY = 'reviewPrefs';
const LEGEND_KEY = 'legendClasses';
const TOAST_MS = 6000;

let reviewInit: Promise<void> | null = null;

/** Loads the reviewer's preferences and the last model's classes, and keeps the latter up to date. Idempotent. */
export function initReview(): Promise<void> {
  reviewInit ??= loadReviewState();
  return reviewInit;
}

async function loadReviewState(): Promise<void> {
  const [prefs, legend] = await Promise.all([
    db.loadMeta<Partial<ReviewPrefs>>(PREFS_KEY).catch(() => undefined),
    db.loadMeta<string[]>(LEGEND_KEY).catch(() => undefined),
  ]);
  set({ reviewPrefs: { ...DEFAULT_REVIEW_PREFS, ...prefs }, ...(legend && !get().legendHint ? { legendHint: legend } : {}) });
  useApp.subscribe((s, prev) => {
    const classes = s.model?.classes;
    if (classes && classes !== prev.model?.classes) {
      set({ legendHint: classes });
      void db.saveMeta(LEGEND_KEY, classes).catch(() => {});
    }
  });
}

export function setReviewPrefs(patch: Partial<ReviewPrefs>): void {
  const next = { ...get().reviewPrefs, ...patch };
  next.thumbPx = Math.max(THUMB_MIN_PX, Math.min(THUMB_MAX_PX, Math.round(next.thumbPx)));
  set({ reviewPrefs: next });
  void db.saveMeta(PREFS_KEY, next).catch(() => {});
}

/** The legend's classes: the loaded model's, else the last model's (so keys never renumber on load). */
export function reviewClassesOf(s: Pick<AppState, 'model' | 'legendHint' | 'userClasses'>): string[] {
  return reviewClassesFrom(s.model?.classes, s.legendHint, s.userClasses);
}

export function reviewClassesFrom(modelClasses: readonly string[] | undefined, hint: readonly string[] | null, userClasses: readonly UserClass[]): string[] {
  return reviewClassList(modelClasses ?? hint, NOT_CLASSED, userClasses.map((u) => u.name));
}

export function reviewItem(cell: Cell, classes: string[] | undefined, threshold: number): ReviewItem {
  const view = viewCell(cell, classes, threshold);
  return { id: cell.id, className: view.className, status: cell.status, confidence: view.confidence, reviewed: cell.userClass !== null };
}

/** The gallery's layout now, computed from the store (what the gallery shows, in the same order). */
export function currentGroups(): CellGroup[] {
  const s = get();
  const threshold = effectiveThreshold();
  const items = orderedCells(s).map((c) => reviewItem(c, cellClasses(c, s.modelClasses), threshold));
  return groupCells(items, reviewClassesOf(s), { leastConfidentFirst: s.reviewPrefs.leastConfidentFirst });
}

let toastTimer: ReturnType<typeof setTimeout> | null = null;
let toastSeq = 0;

export function showToast(text: string, undo = false): void {
  if (toastTimer) clearTimeout(toastTimer);
  set({ toast: { id: ++toastSeq, text, undo } });
  toastTimer = setTimeout(() => set({ toast: null }), TOAST_MS);
}

export function dismissToast(): void {
  if (toastTimer) clearTimeout(toastTimer);
  set({ toast: null });
}

export async function undoFromToast(): Promise<void> {
  dismissToast();
  await undoInReview(false, true);
}

/**
 * Undo (or redo) in the review: the cells it changed become the selection and, with `focus`, keyboard
 * focus goes back to them — the next class key then corrects the cell just undone, not the one the
 * review had moved on to.
 */
export async function undoInReview(redoIt: boolean, focus: boolean): Promise<void> {
  const changed = new Set(await (redoIt ? redoReclassify() : undoReclassify()));
  // In review order (which holds only cells still in the case), the first of them is where the review resumes.
  const ids = reviewSequence(currentGroups()).filter((id) => changed.has(id));
  if (ids.length === 0) return;
  set({ selection: ids, selectedId: ids[0]!, reviewTrail: null });
  followTo(ids[0]!, focus);
}

const cellsWord = (n: number): string => (n === 1 ? '1 cell' : `${n} cells`);

/**
 * Gives `ids` the class `cls` (null: back to the model's) and moves on. `advance`: select the next
 * cell of the group (when the reviewer prefers that); `focus`: also move keyboard focus to it in the
 * gallery (a key pressed in the gallery) — a key pressed in the large view keeps focus there.
 */
export async function assignClass(ids: readonly string[], cls: string | null, opts: { advance: boolean; focus: boolean }): Promise<number> {
  if (ids.length === 0) {
    showToast('Select a cell first (click it, or move to it with the arrow keys).');
    return 0;
  }
  if (isLocked(get().activeCase)) return reclassify(ids, cls); // refused, with the reason
  const before = opts.advance ? currentGroups() : [];
  // A key for the class a cell already has (a reviewer's confirmation) changes nothing but still moves on.
  const changed = await reclassify(ids, cls);
  if (changed > 0) showToast(`${cellsWord(changed)} → ${cls === null ? "the model's class" : labLabel(cls)}`, true);
  const stay = !opts.advance || get().reviewPrefs.afterKey === 'stay';
  const last = ids[ids.length - 1]!;
  const target = stay ? last : nextAfter(before, ids, notReviewed);
  if (!target) return changed;
  if (!stay) {
    selectCell(target);
    if (target !== last) set({ reviewTrail: { from: last, to: target } });
  }
  followTo(target, opts.focus);
  return changed;
}

/** A classified cell no reviewer has given a class yet (its model class is what counts until one does). */
const awaitsReview = (cell: Cell | undefined): boolean => Boolean(cell && cell.userClass === null && cell.status === 'classified');

const notReviewed = (id: string): boolean => awaitsReview(get().cells[id]);

/** How many cells of the case are still to review. */
export function toReviewCount(s: Pick<AppState, 'order' | 'cells'>): number {
  let n = 0;
  for (const id of s.order) if (awaitsReview(s.cells[id])) n++;
  return n;
}

/** Selects (and with `focus` focuses) the first cell still to review, in review order (the U key). False when none is left. */
export function goToNextToReview(focus: boolean): boolean {
  const id = firstPending(currentGroups(), notReviewed);
  if (!id) {
    showToast('Every cell has been reviewed.');
    return false;
  }
  selectCell(id);
  followTo(id, focus);
  return true;
}

/** Shows `id` (its class page when one class at a time is on) and, with `focus`, puts keyboard focus on it. */
export function followTo(id: string, focus: boolean): void {
  const s = get();
  if (s.reviewPrefs.oneClassAtATime) {
    const cls = currentGroups().find((g) => g.ids.includes(id))?.cls ?? null;
    if (cls && cls !== s.pageClass) set({ pageClass: cls });
  }
  if (focus) set({ focusRequest: { id, n: (s.focusRequest?.n ?? 0) + 1 } });
}

/** Removes cells (after the user confirmed), keeping the review going on the next cell. */
export async function removeReviewCells(ids: readonly string[]): Promise<void> {
  const next = nextAfter(currentGroups(), ids);
  await removeCells(ids, currentClassName);
  if (next && get().cells[next]) selectCell(next);
  showToast(`${cellsWord(ids.length)} removed from the case (kept in the audit trail)`);
}

/** Opens the large cell view on `id`; with `focus` it takes keyboard focus (class keys and ←/→ work there). */
export function openDetail(id: string, focus: boolean): void {
  if (!get().selection.includes(id)) selectCell(id);
  set({ detailOpen: true, ...(focus ? { detailFocus: get().detailFocus + 1 } : {}) });
}

/** Closes the large view; with `refocus` keyboard focus goes back to the cell in the gallery. */
export function closeDetail(refocus: boolean): void {
  set({ detailOpen: false });
  const id = get().selectedId;
  if (refocus && id) followTo(id, true);
}

/**
 * Previous/next cell in review order (the large view's buttons and ←/→). Right after a class key,
 * ← goes back to the cell it classified (to re-check the correction), wherever the class put it.
 */
export function stepSelection(delta: number, focusGallery: boolean): void {
  const { selectedId, reviewTrail, cells } = get();
  const { next, trail } = stepWithTrail(currentGroups(), selectedId, delta, reviewTrail, (id) => Boolean(cells[id]));
  if (trail !== reviewTrail) set({ reviewTrail: trail });
  if (!next) return;
  selectCell(next);
  followTo(next, focusGallery);
}
