import { useState } from 'react';
import { removeReviewCells } from '../../store/reviewActions.ts';
import type { CellWithView } from '../useCellViews.ts';

/** One row per file that could not be classified, with the specific reason; each can be removed (audit-logged). */
export function ErrorRows({ errors, locked }: { errors: CellWithView[]; locked: boolean }) {
  const [confirmAll, setConfirmAll] = useState(false);
  return (
    <section className="errors" aria-label={`Could not classify (${errors.length})`}>
      <h3 className="gallery__heading">
        Could not classify <span className="count">{errors.length}</span>
      </h3>
      <p className="muted small">These files are not counted anywhere. Remove them from the case when you have noted them.</p>
      <table>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Problem</th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {errors.map(({ cell }) => (
            <tr key={cell.id} className="error-row" data-testid="error-row" data-reason={cell.error?.reason}>
              <td className="errors__file">{cell.name}</td>
              <td>{cell.error?.message}</td>
              <td>
                <button type="button" className="button--secondary button--small" disabled={locked} onClick={() => void removeReviewCells([cell.id])} aria-label={`Remove ${cell.name}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {errors.length > 1 &&
        (confirmAll ? (
          <span role="alertdialog" aria-label="Confirm removing the unreadable files" className="confirm">
            Remove all {errors.length} unreadable files from the case?{' '}
            <button type="button" className="button--danger" onClick={() => void removeReviewCells(errors.map((e) => e.cell.id)).then(() => setConfirmAll(false))}>
              Remove {errors.length} files
            </button>{' '}
            <button type="button" className="button--secondary" onClick={() => setConfirmAll(false)}>
              Keep them
            </button>
          </span>
        ) : (
          <button type="button" className="button--secondary" disabled={locked} onClick={() => setConfirmAll(true)}>
            Remove all {errors.length}…
          </button>
        ))}
    </section>
  );
}
