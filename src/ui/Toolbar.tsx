import { useState } from 'react';
import { clearSession, exportCsvText, resultsJson } from '../store/actions.ts';
import { download, stamp } from './download.ts';
import { useApp } from '../store/index.ts';


export function Toolbar() {
  const count = useApp((s) => s.order.length);
  const locked = useApp((s) => s.activeCase?.status === 'signed');
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="toolbar">
      <button type="button" disabled={count === 0} onClick={() => download(exportCsvText(), `dinobloom-cells-${stamp()}.csv`, 'text/csv')}>
        Export CSV
      </button>
      <button type="button" disabled={count === 0} onClick={() => download(JSON.stringify(resultsJson(), null, 2), `dinobloom-cells-${stamp()}.json`, 'application/json')}>
        Export JSON
      </button>
      {!confirming ? (
        <button type="button" className="button--danger" disabled={count === 0 || locked} onClick={() => setConfirming(true)}>
          Clear session
        </button>
      ) : (
        <span role="alertdialog" aria-label="Confirm clearing the session" className="confirm">
          Delete all {count} cells from this browser?{' '}
          <button
            type="button"
            className="button--danger"
            onClick={() => {
              setConfirming(false);
              void clearSession();
            }}
          >
            Delete all cells
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)} autoFocus>
            Keep them
          </button>
        </span>
      )}
    </div>
  );
}
