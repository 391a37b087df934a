import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startPwa } from './pwa/isolation.ts';
import { useApp } from './store/index.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

const root = document.getElementById('root')!;

async function main(): Promise<void> {
  if (!self.crossOriginIsolated && 'serviceWorker' in navigator && !navigator.serviceWorker.controller) {
    root.textContent = 'Setting up DinoBloom Web for offline use…';
  }
  const isolation = await startPwa({
    onNeedRefresh: (update) => useApp.setState({ applyUpdate: update }),
    onOfflineReady: () => useApp.setState({ offlineReady: true }),
  });
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
