import { useState } from 'react';
import { caseClassifiers } from '../../core/classifiedBy.ts';
import { useApp } from '../../store/index.ts';
import { reclassifyCase } from '../../store/reclassifyActions.ts';

/**
 * The open case holds cells classified by another model than the active one (the user switched models
 * mid-case, or took up the new default): say so where the user is looking, and offer to bring the whole
 * case over to the active model. Switching never does it by itself, so the differential of a case is
 * never silently a mix of two models' calls.
 */
export function OtherModelNotice() {
  const model = useApp((s) => s.model);
  const caseId = useApp((s) => s.activeCase?.id ?? null);
  const locked = useApp((s) => s.activeCase?.status === 'signed');
  // A string, not an object: the selector must return the same value while nothing relevant changed.
  const summary = useApp((s) => {
    if (!s.model) return '';
    // This runs on every store change (each batch of a large drop): a plain scan first, labels only when needed.
    const active = s.model.manifest.id;
    let other = false;
    for (const id of s.order) {
      const c = s.cells[id];
      if (c?.status === 'classified' && c.modelId !== null && c.modelId !== active) {
        other = true;
        break;
      }
    }
    if (!other) return '';
    const cells = s.order.map((id) => s.cells[id]!).filter(Boolean);
    const r = caseClassifiers(cells, { modelId: s.model.manifest.id, head: s.model.head });
    return r.otherModel > 0 ? `${r.otherModel}\n${r.otherModels.join(', ')}` : '';
  });
  const [dismissed, setDismissed] = useState<string | null>(null);
  if (!model || !summary || dismissed === `${caseId}\n${summary}`) return null;
  const [count, names] = summary.split('\n') as [string, string];
  const n = Number(count);
  return (
    <p className="notice notice--warn" role="status" data-testid="other-model-notice">
      {n} cell{n === 1 ? ' of this case was' : 's of this case were'} classified by another model ({names}), not by the active “{model.manifest.name}”.
      Switching models only changes new cells.{' '}
      {model.head ? (
        <>
          <button type="button" disabled={locked} onClick={() => void reclassifyCase()}>
            Re-classify this case with {model.manifest.name}
          </button>
          {locked && <span className="muted"> (unlock the case first)</span>}{' '}
        </>
      ) : null}
      <button type="button" onClick={() => setDismissed(`${caseId}\n${summary}`)}>
        Keep them as they are
      </button>
    </p>
  );
}
