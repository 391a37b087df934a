import type { StateCreator } from 'zustand';
import type { ConvertReport, ConvertStage } from '../inference/convertTypes.ts';
import type { AppState } from './index.ts';

/** The in-browser checkpoint conversion and bundle exports (src/store/convertActions.ts). */
export interface ConvertSlice {
  converting: { file: string; stage: ConvertStage; fraction: number; detail?: string; startedAt: number } | null;
  convertError: string | null;
  convertMessage: string | null;
  /** figures of the last conversion that was stored */
  convertReport: ConvertReport | null;
  /** id of the bundle the last conversion stored (offered for use at once) */
  convertedId: string | null;
  /** id of the bundle being zipped for export */
  exporting: string | null;
  exportError: string | null;
}

export const createConvertSlice: StateCreator<AppState, [], [], ConvertSlice> = () => ({
  converting: null,
  convertError: null,
  convertMessage: null,
  convertReport: null,
  convertedId: null,
  exporting: null,
  exportError: null,
});
