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

/** The longest a page that is already isolated waits before registering the service worker. */
const REGISTER_DEFER_MAX_MS = 60_000;

/**
 * `registerAfter`: when the server already made the page cross-origin isolated, the service worker is
 * not needed for this visit, and its install (precaching the shell and the 28 MB runtime .wasm)
 * competed with the first model load and the first cells: first visits took ~2.2 s to the first
 * classified cell instead of ~1.95 s on 2 cores. It is then registered once this settles (the app
 * passes "model loaded and no cells classifying for 2 s"), at most REGISTER_DEFER_MAX_MS later.
 */
export async function startPwa(hooks: PwaHooks, opts: { registerAfter?: Promise<unknown> } = {}): Promise<IsolationState> {
  if (!('serviceWorker' in navigator)) return self.crossOriginIsolated ? 'isolated' : 'single-thread';
  let updateSW: ((reload?: boolean) => Promise<void>) | null = null;
  const register = (): void => {
    updateSW = registerSW({
      immediate: true,
      onNeedRefresh: () => hooks.onNeedRefresh(() => updateSW!(true)),
      onOfflineReady: hooks.onOfflineReady,
    });
  };
  if (self.crossOriginIsolated) {
    sessionStorage.removeItem(FLAG);
    if (opts.registerAfter) {
      void Promise.race([opts.registerAfter.catch(() => {}), new Promise((r) => setTimeout(r, REGISTER_DEFER_MAX_MS))]).then(register);
    } else {
      register();
    }
    return 'isolated';
  }
  register(); // the service worker is what makes this page isolated (after one reload)
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
