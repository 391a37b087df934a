import { useState } from 'react';
import { BUNDLE_HEAD_ID } from '../../core/cell.ts';
import { activateHead, removeHead, renameHead } from '../../store/headActions.ts';
import { reclassifyCase } from '../../store/reclassifyActions.ts';
import { useApp } from '../../store/index.ts';
import type { StoredHead } from '../../storage/heads.ts';
import { headSummary } from './headSummary.ts';

/** The heads of the loaded encoder: the bundle's own (kept) and the lab's; switch, rename, delete, re-classify the case. */
export function HeadsList({ onExport }: { onExport?: (head: StoredHead, withEncoder: boolean) => void }) {
  const model = useApp((s) => s.model);
  const labHeads = useApp((s) => s.labHeads);
  const caseLocked = useApp((s) => s.activeCase?.status === 'signed');
  const cellsWithOtherHead = useApp((s) => {
    const h = s.model?.head;
    if (!h) return 0;
    let n = 0;
    for (const id of s.order) {
      const c = s.cells[id];
      if (c?.status === 'classified' && (c.head?.id ?? BUNDLE_HEAD_ID) !== h.id) n++;
    }
    return n;
  });
  const [renaming, setRenaming] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  if (!model) return null;
  const heads = labHeads.filter((h) => h.encoderId === model.manifest.id);
  const activeId = model.head?.id ?? null;

  return (
    <div className="heads__list">
      <h4>Heads of {model.manifest.name}</h4>
      <ul data-testid="head-list">
        {model.manifest.head && (
          <li data-head-id={BUNDLE_HEAD_ID}>
            <span>
              <strong>Bundle head</strong> <span className="muted">({model.manifest.head.trainedOn ?? 'shipped with the model'}; kept, cannot be deleted)</span>
            </span>
            <button type="button" disabled={activeId === BUNDLE_HEAD_ID} onClick={() => void activateHead(null)}>
              {activeId === BUNDLE_HEAD_ID ? 'Active' : 'Use the bundle head'}
            </button>
          </li>
        )}
        {heads.map((h) => (
          <li key={h.id} data-head-id={h.id}>
            {renaming === h.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void renameHead(h.id, draft).then(() => setRenaming(null));
                }}
              >
                <label>
                  New name
                  <input value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
                </label>
                <button type="submit" disabled={!draft.trim()}>
                  Save name
                </button>
                <button type="button" onClick={() => setRenaming(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <span>
                <strong>{h.name}</strong> v{h.version} <span className="muted">· {headSummary(h)}</span>
              </span>
            )}
            <span className="heads__actions">
              <button type="button" disabled={activeId === h.id} onClick={() => void activateHead(h.id)}>
                {activeId === h.id ? 'Active' : `Use ${h.name}`}
              </button>
              <button
                type="button"
                onClick={() => {
                  setDraft(h.name);
                  setRenaming(h.id);
                }}
              >
                Rename
              </button>
              {onExport && (
                <>
                  <button type="button" title="A small .zip: the head and its shift statistics; the other workstation needs this encoder" onClick={() => onExport(h, false)}>
                    Export head bundle
                  </button>
                  <button type="button" title="A complete model .zip: any workstation can import it" onClick={() => onExport(h, true)}>
                    Export with encoder
                  </button>
                </>
              )}
              {confirmDelete === h.id ? (
                <>
                  <button type="button" className="button--danger" onClick={() => void removeHead(h.id).then(() => setConfirmDelete(null))}>
                    Delete {h.name} v{h.version} for good
                  </button>
                  <button type="button" onClick={() => setConfirmDelete(null)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" onClick={() => setConfirmDelete(h.id)}>
                  Delete
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {heads.length === 0 && <p className="muted small">No lab heads for this encoder yet: train one below.</p>}
      {cellsWithOtherHead > 0 && model.head && (
        <p className="small">
          {cellsWithOtherHead} cell{cellsWithOtherHead === 1 ? ' of this case was' : 's of this case were'} classified by another head. Switching
          heads only changes new cells.{' '}
          <button type="button" disabled={caseLocked} onClick={() => void reclassifyCase()}>
            Re-classify this case with {model.head.id === BUNDLE_HEAD_ID ? 'the bundle head' : `"${model.head.name}"`}
          </button>
          {caseLocked && <span className="muted"> (unlock the case first)</span>}
        </p>
      )}
    </div>
  );
}
