import { duplicatesLine } from '../core/duplicates.ts';
import { skippedLine } from '../core/fileFilter.ts';
import { addDuplicatesAnyway, dismissAddReport } from '../store/actions.ts';
import { useApp } from '../store/index.ts';

/** What the last add did with the files it was not given as new cells: duplicates (with "Add anyway") and hidden/system files. */
export function AddReport() {
  const r = useApp((s) => s.addReport);
  const unreadable = r?.unreadable ?? [];
  if (!r || (r.duplicates.length === 0 && r.skipped.length === 0 && unreadable.length === 0)) return null;
  const shown = r.duplicates.slice(0, 3);
  return (
    <div className="notice notice--info add-report" role="status" data-testid="add-report">
      <p>
        Added {r.added} cell{r.added === 1 ? '' : 's'}.
        {r.duplicates.length > 0 && (
          <>
            {' '}
            <strong>{duplicatesLine(r.duplicates.length)}</strong>: identical to cells already in this case (
            {shown.map((d) => `${d.name} = ${d.sameAs}`).join('; ')}
            {r.duplicates.length > shown.length ? '; …' : ''}), so they would be counted twice.
          </>
        )}
        {r.skipped.length > 0 && <> {skippedLine(r.skipped)}.</>}
        {unreadable.length > 0 && (
          <>
            {' '}
            <strong>
              {unreadable.length} dropped item{unreadable.length === 1 ? '' : 's'} could not be read
            </strong>{' '}
            ({unreadable.slice(0, 3).map((u) => `${u.name}: ${u.message}`).join('; ')}
            {unreadable.length > 3 ? '; …' : ''}); drop {unreadable.length === 1 ? 'it' : 'them'} again or pick the files instead.
          </>
        )}
      </p>
      <p className="add-report__buttons">
        {r.duplicates.length > 0 && (
          <button type="button" className="button--secondary" onClick={() => void addDuplicatesAnyway()}>
            Add anyway
          </button>
        )}
        <button type="button" className="button--secondary" onClick={dismissAddReport}>
          OK
        </button>
      </p>
    </div>
  );
}
