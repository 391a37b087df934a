import type { StateCreator } from 'zustand';
import type { CaseRecord } from '../core/case.ts';
import type { UserClass } from '../core/cellTypes.ts';
import { emptyHistory, type History } from '../core/history.ts';
import type { AppState } from './index.ts';

export interface CaseSlice {
  /** The open case; every cell on screen belongs to it. */
  activeCase: CaseRecord | null;
  /** All cases, newest first (metadata only; their cells stay in IndexedDB). */
  cases: CaseRecord[];
  /** Undo/redo of reclassifications in the open case. */
  history: History;
  /** Selected cell ids (multi-select with shift/ctrl), in selection order. */
  selection: string[];
  /** Lab-defined classes, kept across cases. */
  userClasses: UserClass[];
  /** Reviewer's Unidentified threshold; null = the model's own. */
  thresholdOverride: number | null;
  caseError: string | null;
}

export const createCaseSlice: StateCreator<AppState, [], [], CaseSlice> = () => ({
  activeCase: null,
  cases: [],
  history: emptyHistory,
  selection: [],
  userClasses: [],
  thresholdOverride: null,
  caseError: null,
});
