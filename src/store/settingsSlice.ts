import type { StateCreator } from 'zustand';
import { DEFAULT_BACKEND_SETTINGS, type BackendSettings } from '../core/backend.ts';
import type { AppState } from './index.ts';

export interface SettingsSlice {
  backendSettings: BackendSettings;
  setBackendSettings(s: BackendSettings): void;
}

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  backendSettings: DEFAULT_BACKEND_SETTINGS,
  setBackendSettings: (backendSettings) => set({ backendSettings }),
});
