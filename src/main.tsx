import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startPwa } from './pwa/isolation.ts';
import { useApp } from './store/index.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

const root = document.getElementById('root')!;

/**
 * Resolves once the first model has loaded (or failed to) and no cells have been classifying for
 * QUIET_MS: the moment a service worker install (precaching ~30 MB) no longer slows anything down.
 */
const QUIET_MS = 2000;
function firstQuietMoment(): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const check = (s: ReturnType<typeof useApp.getState>): void => {
      const quiet = (s.modelStatus === 'ready' || s.modelStatus === 'error') && s.job === null;
      if (quiet && !timer) {
        timer = setTimeout(() => {
          stop();
          resolve();
        }, QUIET_MS);
      } else if (!quiet && timer) {
        clearTimeout(timer);
        timer = null;
      }
    };
    const stop = useApp.subscribe(check);
    check(useApp.getState());
  });
}

async function main(): Promise<void> {
  if (!self.crossOriginIsolated && 'serviceWorker' in navigator && !navigator.serviceWorker.controller) {
    root.textContent = 'Setting up DinoBloom Web for offline use…';
  }
  const isolation = await startPwa(
    {
      onNeedRefresh: (update) => useApp.setState({ applyUpdate: update }),
      onOfflineReady: () => useApp.setState({ offlineReady: true }),
    },
    { registerAfter: firstQuietMoment() },
  );
  if (isolation === 'reloading') return;
  useApp.setState({ isolation });
  root.textContent = '';
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void main();
