import type { StateCreator } from 'zustand';
import type { ReviewTrail } from '../core/reviewOrder.ts';
import type { AppState } from './index.ts';

/** How the reviewer likes to work; kept per browser (IndexedDB meta `reviewPrefs`). */
export interface ReviewPrefs {
  /** after a class key: select the next cell of the group, or stay on this one */
  afterKey: 'next' | 'stay';
  /** thumbnail edge in CSS px (100–250) */
  thumbPx: number;
  /** show one class at a time (paging) instead of every group at once */
  oneClassAtATime: boolean;
  /** inside a group, the cells the model was least sure of first */
  leastConfidentFirst: boolean;
}

export const DEFAULT_REVIEW_PREFS: ReviewPrefs = { afterKey: 'next', thumbPx: 120, oneClassAtATime: false, leastConfidentFirst: false };
export const THUMB_MIN_PX = 100;
export const THUMB_MAX_PX = 250;

/** What the last add did with every file it was given. */
export interface AddReport {
  added: number;
  /** identical (by content) to a cell already in the case or to an earlier file of the drop */
  duplicates: { name: string; sameAs: string }[];
  /** hidden/system files skipped on purpose */
  skipped: string[];
  /** dropped entries the browser could not read */
  unreadable?: { name: string; message: string }[];
}

export interface Toast {
  id: number;
  text: string;
  /** offer Undo (the last reclassification) */
  undo: boolean;
}

export interface ReviewSlice {
  reviewPrefs: ReviewPrefs;
  /** the large cell view beside the grid is open (it shows the selected cell) */
  detailOpen: boolean;
  /** the class shown when one class at a time is on (null: the first group) */
  pageClass: string | null;
  /** bumped to ask the large view to take keyboard focus (opened from the keyboard) */
  detailFocus: number;
  /** ask the gallery to move keyboard focus to this cell after the next render */
  focusRequest: { id: string; n: number } | null;
  /** the step the last class key made, so ← in the large view goes back to the cell it classified (stepWithTrail) */
  reviewTrail: ReviewTrail | null;
  addReport: AddReport | null;
  toast: Toast | null;
  /** the case id for which signing was tried: from then on the sign checklist is shown */
  signTriedFor: string | null;
  /** the last loaded model's classes, so the legend is numbered the same before the model loads */
  legendHint: string[] | null;
}

export const createReviewSlice: StateCreator<AppState, [], [], ReviewSlice> = () => ({
  reviewPrefs: DEFAULT_REVIEW_PREFS,
  detailOpen: false,
  detailFocus: 0,
  pageClass: null,
  focusRequest: null,
  reviewTrail: null,
  addReport: null,
  toast: null,
  signTriedFor: null,
  legendHint: null,
});
