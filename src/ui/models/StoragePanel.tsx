import { useCallback, useEffect, useState } from 'react';
import { formatBytes, listCachedModels, removeCachedModel, storageInfo, type CachedModel, type StorageInfo } from '../../storage/quota.ts';

export function StoragePanel() {
  const [info, setInfo] = useState<StorageInfo | null>(null);
  const [cached, setCached] = useState<CachedModel[]>([]);
  const refresh = useCallback(() => {
    void storageInfo().then(setInfo);
    void listCachedModels().then(setCached).catch(() => setCached([]));
  }, []);
  useEffect(refresh, [refresh]);
  return (
    <section aria-label="Storage" data-testid="storage-panel">
      <h3>
        Storage <button type="button" onClick={refresh}>Refresh</button>
      </h3>
      <p>
        Using {formatBytes(info?.usage ?? null)} of {formatBytes(info?.quota ?? null)} ·{' '}
        {info?.persisted ? 'persistent (the browser will not evict it)' : 'best-effort (may be evicted when disk space runs low)'}
      </p>
      {cached.length > 0 && (
        <>
          <p className="muted">Model files kept for offline use (downloaded again when needed):</p>
          <ul>
            {cached.map((c) => (
              <li key={c.base}>
                {c.base.replace(location.origin, '')} — {c.files} files, {formatBytes(c.bytes)}{' '}
                <button type="button" onClick={() => void removeCachedModel(c.base).then(refresh)}>
                  Remove cached copy
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
