/** The app store: zustand slices with explicit defaults; actions that cross slices live in actions.ts. */
import { create } from 'zustand';
import { createCaseSlice, type CaseSlice } from './caseSlice.ts';
import { createCellsSlice, type CellsSlice } from './cellsSlice.ts';
import { createConvertSlice, type ConvertSlice } from './convertSlice.ts';
import { createJobSlice, type JobSlice } from './jobSlice.ts';
import { createModelSlice, type ModelSlice } from './modelSlice.ts';
import { createPwaSlice, type PwaSlice } from './pwaSlice.ts';
import { createSettingsSlice, type SettingsSlice } from './settingsSlice.ts';

export type AppState = CaseSlice & CellsSlice & ConvertSlice & JobSlice & ModelSlice & PwaSlice & SettingsSlice;

export const useApp = create<AppState>()((...a) => ({
  ...createCaseSlice(...a),
  ...createCellsSlice(...a),
  ...createConvertSlice(...a),
  ...createJobSlice(...a),
  ...createModelSlice(...a),
  ...createPwaSlice(...a),
  ...createSettingsSlice(...a),
}));
