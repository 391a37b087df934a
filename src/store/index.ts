/** The app store: zustand slices with explicit defaults; actions that cross slices live in actions.ts. */
import { create } from 'zustand';
import { createCaseSlice, type CaseSlice } from './caseSlice.ts';
import { createCellsSlice, type CellsSlice } from './cellsSlice.ts';
import { createConvertSlice, type ConvertSlice } from './convertSlice.ts';
import { createHeadSlice, type HeadSlice } from './headSlice.ts';
import { createJobSlice, type JobSlice } from './jobSlice.ts';
import { createModelSlice, type ModelSlice } from './modelSlice.ts';
import { createPwaSlice, type PwaSlice } from './pwaSlice.ts';
import { createReviewSlice, type ReviewSlice } from './reviewSlice.ts';
import { createSettingsSlice, type SettingsSlice } from './settingsSlice.ts';

export type AppState = CaseSlice & CellsSlice & ConvertSlice & HeadSlice & JobSlice & ModelSlice & PwaSlice & ReviewSlice & SettingsSlice;

export const useApp = create<AppState>()((...a) => ({
  ...createCaseSlice(...a),
  ...createCellsSlice(...a),
  ...createConvertSlice(...a),
  ...createHeadSlice(...a),
  ...createJobSlice(...a),
  ...createModelSlice(...a),
  ...createPwaSlice(...a),
  ...createReviewSlice(...a),
  ...createSettingsSlice(...a),
}));
