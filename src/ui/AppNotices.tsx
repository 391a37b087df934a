import { useApp } from '../store/index.ts';

/** Update prompt, isolation fallback, persistent-storage explanation, storage errors. */
export function AppNotices() {
  const applyUpdate = useApp((s) => s.applyUpdate);
  const isolation = useApp((s) => s.isolation);
  const persistNotice = useApp((s) => s.persistNotice);
  const storageError = useApp((s) => s.storageError);
  const busy = useApp((s) => s.job !== null);
  return (
    <>
      {applyUpdate && (
        <p className="notice notice--info" role="status" data-testid="update-available">
          Update available. Your session is saved; reload when convenient.{' '}
          <button type="button" disabled={busy} onClick={() => void applyUpdate()}>
            Reload to update
          </button>
        </p>
      )}
      {isolation === 'single-thread' && (
        <p className="notice notice--warn" role="status" data-testid="single-thread-notice">
          This page could not be cross-origin isolated (the server and the service worker could not add the COOP/COEP headers), so the
          model runs on a single CPU thread: slower, but results are the same.
        </p>
      )}
      {persistNotice && (
        <p className="notice notice--info" role="status" data-testid="persist-notice">
          {persistNotice}{' '}
          <button type="button" onClick={() => useApp.setState({ persistNotice: null })}>
            OK
          </button>
        </p>
      )}
      {storageError && (
        <p className="notice notice--error" role="alert" data-testid="storage-error">
          {storageError}
        </p>
      )}
    </>
  );
}
