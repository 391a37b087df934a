import { useState } from 'react';
import type { BackendPreference } from '../../core/backend.ts';
import { applyBackendSettings } from '../../store/modelActions.ts';
import { useApp } from '../../store/index.ts';

export function SettingsPanel() {
  const settings = useApp((s) => s.backendSettings);
  const env = useApp((s) => s.model?.environment);
  const [backend, setBackend] = useState<BackendPreference>(settings.backend);
  const [threads, setThreads] = useState<string>(settings.threads === null ? 'auto' : String(settings.threads));
  return (
    <details className="settings">
      <summary>Settings</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void applyBackendSettings({ backend, threads: threads === 'auto' ? null : Number(threads) });
        }}
      >
        <label>
          Backend
          <select value={backend} onChange={(e) => setBackend(e.target.value as BackendPreference)}>
            <option value="auto">Automatic</option>
            <option value="wasm">WASM (CPU)</option>
            <option value="webgpu">WebGPU</option>
          </select>
        </label>
        <label>
          WASM threads
          <select value={threads} onChange={(e) => setThreads(e.target.value)}>
            <option value="auto">Automatic</option>
            {[1, 2, 3, 4, 6, 8].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
        {env && (
          <p className="muted">
            {env.hardwareConcurrency} logical cores · cross-origin isolated: {env.crossOriginIsolated ? 'yes' : 'no (WASM limited to 1 thread)'} · WebGPU:{' '}
            {env.gpu ? `${env.gpu.vendor || 'adapter'}${env.gpu.isFallback ? ' (fallback)' : ''}` : 'none'}
          </p>
        )}
      </form>
    </details>
  );
}
