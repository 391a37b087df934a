/**
 * Start-up: restore the persisted session (settings, lab classes, the open case and its cells), then
 * load the model (a ?model= link, the last used one, or the default). Idempotent: React StrictMode
 * mounts twice.
 */
import type { BackendSettings } from '../core/backend.ts';
import * as db from '../storage/db.ts';
import { markSessionRestored, prestartInference } from './actions.ts';
import { openInitialCase } from './caseActions.ts';
import { useApp } from './index.ts';
import { activateInitial } from './modelActions.ts';

const set = useApp.setState;

let initPromise: Promise<void> | null = null;

export function initApp(): Promise<void> {
  initPromise ??= restoreAndLoad();
  return initPromise;
}

async function restoreAndLoad(): Promise<void> {
  const settings = await db.loadMeta<BackendSettings>('backendSettings').catch(() => undefined);
  if (settings) set({ backendSettings: settings });
  // The runtime's .wasm compiles while the open case is restored and the model chosen.
  prestartInference(useApp.getState().backendSettings);
  const modelClasses = (await db.loadMeta<Record<string, string[]>>('modelClasses').catch(() => undefined)) ?? {};
  set({ modelClasses });
  try {
    await openInitialCase();
  } finally {
    markSessionRestored();
  }
  await activateInitial(self.location.search);
}
