import type { StateCreator } from 'zustand';
import type { AppState } from './index.ts';

export interface JobProgress {
  total: number;
  done: number;
  startedAt: number;
  /** Smoothed over the whole job, in cells per second. */
  cellsPerSecond: number;
  etaSeconds: number | null;
}

export interface JobSlice {
  job: JobProgress | null;
  /** Cells waiting for a model (e.g. dropped while it loads, or left by a Cancel). */
  queuedCount: number;
  /**
   * Files given to addFiles that are not cells yet (being hashed for duplicates and stored): a big
   * drop takes seconds before its first cell shows, and the page must not look idle meanwhile.
   */
  addingFiles: number;
  /** Drops whose folders are still being walked (before their files are counted in addingFiles). */
  walkingDrops: number;
  lastRun: { cells: number; seconds: number; cellsPerSecond: number } | null;
}

export const createJobSlice: StateCreator<AppState, [], [], JobSlice> = () => ({
  job: null,
  queuedCount: 0,
  addingFiles: 0,
  walkingDrops: 0,
  lastRun: null,
});
