import type { StateCreator } from 'zustand';
import type { LoadedModel, LoadProgress } from '../inference/types.ts';
import type { StoredBundle } from '../storage/bundles.ts';
import type { AppState } from './index.ts';

export type ModelStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface ModelSlice {
  model: LoadedModel | null;
  modelStatus: ModelStatus;
  modelError: string | null;
  loadProgress: LoadProgress | null;
  /** Classes of every model whose results are in the session, by model id (cells keep their model). */
  modelClasses: Record<string, string[]>;
  /** Bundles imported by the lab (folder, zip or URL), kept in IndexedDB. */
  installed: StoredBundle[];
  importing: { progress: LoadProgress | null } | null;
  importError: string | null;
  importMessage: string | null;
  /** The Models panel is open (actions elsewhere, e.g. "Retrain the lab head", open it to show their result). */
  modelsPanelOpen: boolean;
}

export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = () => ({
  model: null,
  modelStatus: 'idle',
  modelError: null,
  loadProgress: null,
  modelClasses: {},
  installed: [],
  importing: null,
  importError: null,
  importMessage: null,
  modelsPanelOpen: false,
});
