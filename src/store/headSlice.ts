import type { StateCreator } from 'zustand';
import type { StoredHead } from '../storage/heads.ts';
import type { AppState } from './index.ts';

/** Progress of a lab-head training run: embedding the cells, then k-fold evaluation and the final fit. */
export interface HeadJob {
  stage: 'collect' | 'embed' | 'train';
  done: number;
  total: number;
  cellsPerSecond?: number;
  etaSeconds?: number | null;
  /** e.g. "fold 3 of 5" */
  detail?: string;
}

export interface HeadSlice {
  /** Lab heads of every encoder (listed per encoder in the Models panel). */
  labHeads: StoredHead[];
  /** bundle id → id of its active lab head (absent: the bundle's own head). */
  activeHeads: Record<string, string>;
  headJob: HeadJob | null;
  /** The last finished training run, shown until it is used, kept or discarded. */
  headResult: unknown;
  headError: string | null;
  headMessage: string | null;
}

export const createHeadSlice: StateCreator<AppState, [], [], HeadSlice> = () => ({
  labHeads: [],
  activeHeads: {},
  headJob: null,
  headResult: null,
  headError: null,
  headMessage: null,
});
