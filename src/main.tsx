import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startPwa } from './pwa/isolation.ts';
import { useApp } from './store/index.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

const root = document.getElementById('root')!;

/** Resolves once the first model has loaded (or failed to). */
function firstModelSettled(): Promise<void> {
  return new Promise((resolve) => {
    const settled = (s: ReturnType<typeof useApp.getState>): boolean => s.modelStatus === 'ready' || s.modelStatus === 'error';
    if (settled(useApp.getState())) return resolve();
    const stop = useApp.subscribe((s) => {
      if (!settled(s)) return;
      stop();
      resolve();
    });
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
    { registerAfter: firstModelSettled() },
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
