import type { StateCreator } from 'zustand';
import type { IsolationState } from '../pwa/isolation.ts';
import type { AppState } from './index.ts';

export interface PwaSlice {
  isolation: IsolationState | null;
  /** Set when a new version is waiting; calling it activates the new service worker and reloads. */
  applyUpdate: (() => Promise<void>) | null;
  offlineReady: boolean;
  /** Shown once after the first classification: why we asked for persistent storage, and the answer. */
  persistNotice: string | null;
}

export const createPwaSlice: StateCreator<AppState, [], [], PwaSlice> = () => ({
  isolation: null,
  applyUpdate: null,
  offlineReady: false,
  persistNotice: null,
});
