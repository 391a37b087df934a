import { useState } from 'react';
import { clearSession, exportCsvText, exportJsonText } from '../store/actions.ts';
import { useApp } from '../store/index.ts';

function download(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const stamp = (): string => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');

export function Toolbar() {
  const count = useApp((s) => s.order.length);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="toolbar">
      <button type="button" disabled={count === 0} onClick={() => download(exportCsvText(), `dinobloom-cells-${stamp()}.csv`, 'text/csv')}>
        Export CSV
      </button>
      <button type="button" disabled={count === 0} onClick={() => download(exportJsonText(), `dinobloom-cells-${stamp()}.json`, 'application/json')}>
        Export JSON
      </button>
      {!confirming ? (
        <button type="button" className="button--danger" disabled={count === 0} onClick={() => setConfirming(true)}>
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
