/**
 * Cross-origin isolation on any static host: the service worker adds COOP/COEP, but only to pages
 * it controls, so the very first visit reloads once after the SW takes control. A session flag
 * makes sure that happens at most once — never a loop; without isolation the app runs
 * single-threaded and says so.
 */
import { registerSW } from 'virtual:pwa-register';

export type IsolationState = 'isolated' | 'reloading' | 'single-thread';

const FLAG = 'dinobloom-coi-reloaded';
const CONTROL_TIMEOUT_MS = 30_000;

export interface PwaHooks {
  onNeedRefresh(update: () => Promise<void>): void;
  onOfflineReady(): void;
}

export async function startPwa(hooks: PwaHooks): Promise<IsolationState> {
  if (!('serviceWorker' in navigator)) return self.crossOriginIsolated ? 'isolated' : 'single-thread';
  let updateSW: ((reload?: boolean) => Promise<void>) | null = null;
  updateSW = registerSW({
    immediate: true,
    onNeedRefresh: () => hooks.onNeedRefresh(() => updateSW!(true)),
    onOfflineReady: hooks.onOfflineReady,
  });
  if (self.crossOriginIsolated) {
    sessionStorage.removeItem(FLAG);
    return 'isolated';
  }
  if (sessionStorage.getItem(FLAG)) return 'single-thread'; // we already reloaded once: isolation is impossible here
  if (!navigator.serviceWorker.controller) {
    const controlled = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), CONTROL_TIMEOUT_MS);
      navigator.serviceWorker.addEventListener('controllerchange', () => {
        clearTimeout(timer);
        resolve(true);
      }, { once: true });
    });
    if (!controlled) return 'single-thread';
  }
  sessionStorage.setItem(FLAG, '1');
  location.reload();
  return 'reloading';
}
