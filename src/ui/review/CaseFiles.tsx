import { useState } from 'react';
import { createCase, deleteCase, exportCaseArchive, importCaseArchive, openCase } from '../../store/caseActions.ts';
import { clearSession } from '../../store/actions.ts';
import { useApp } from '../../store/index.ts';
import { download, fileNamePart, stamp } from '../download.ts';
import { FilePickerButton } from '../FilePickerButton.tsx';

/** Deletes the open case's cells (only this case's), after asking. */
export function DeleteCaseCells() {
  const count = useApp((s) => s.order.length);
  const locked = useApp((s) => s.activeCase?.status === 'signed');
  const sample = useApp((s) => s.activeCase?.sampleId);
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="button--danger" disabled={count === 0 || locked} onClick={() => setConfirming(true)}>
        Delete this case's cells
      </button>
    );
  }
  return (
    <span role="alertdialog" aria-label="Confirm deleting this case's cells" className="confirm">
      Delete the {count} cells of case {sample || '(no sample ID)'} from this browser? Other cases keep theirs.{' '}
      <button
        type="button"
        className="button--danger"
        onClick={() => {
          setConfirming(false);
          void clearSession();
        }}
      >
        Delete the cells
      </button>{' '}
      <button type="button" className="button--secondary" onClick={() => setConfirming(false)} autoFocus>
        Keep them
      </button>
    </span>
  );
}

/** Case list (search, open, delete with confirmation), new case, JSON export/import. */
export function CaseFiles() {
  const cases = useApp((s) => s.cases);
  const active = useApp((s) => s.activeCase);
  const count = useApp((s) => s.order.length);
  const [query, setQuery] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const q = query.trim().toLowerCase();
  const shown = cases.filter((c) => !q || `${c.sampleId} ${c.operator} ${c.date} ${c.notes}`.toLowerCase().includes(q));
  return (
    <div className="casefiles">
      <button type="button" onClick={() => void createCase()}>
        New case
      </button>
      <button
        type="button"
        className="button--secondary"
        disabled={count === 0}
        onClick={() => void exportCaseArchive().then((text) => download(text, `case-${fileNamePart(active?.sampleId) || active?.id}-${stamp()}.json`, 'application/json'))}
      >
        Export case (JSON)
      </button>
      <FilePickerButton
        label="Import case…"
        accept=".json,application/json"
        secondary
        onFiles={(f) => {
          if (f[0]) void importCaseArchive(f[0]);
        }}
      />
      <DeleteCaseCells />
      <details className="caselist">
        <summary>Cases ({cases.length})</summary>
        <label>
          Search cases
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <ul data-testid="case-list">
          {shown.map((c) => (
            <li key={c.id} data-case-id={c.id}>
              <button type="button" className="button--secondary" disabled={c.id === active?.id} onClick={() => void openCase(c.id)}>
                {c.id === active?.id ? 'Open: ' : 'Open '}
                {c.sampleId || '(no sample ID)'}
              </button>{' '}
              <span className="muted">
                {c.date} · {c.operator || '—'} · {c.status === 'signed' ? `signed by ${c.signedBy}` : 'open'}
              </span>{' '}
              {confirming === c.id ? (
                <>
                  <button type="button" className="button--danger" onClick={() => void deleteCase(c.id).then(() => setConfirming(null))}>
                    Delete case {c.sampleId || c.id} and its cells
                  </button>{' '}
                  <button type="button" className="button--secondary" onClick={() => setConfirming(null)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" className="button--secondary" onClick={() => setConfirming(c.id)}>
                  Delete {c.sampleId || 'case'}
                </button>
              )}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}
