import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { otherModelsOf } from '../../core/classifiedBy.ts';
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
  // A shallow-compared pair: the selector runs on every store change and must give the same value while
  // nothing relevant changed (otherModelsOf builds no labels).
  const [n, names] = useApp(
    useShallow((s): [number, string] => {
      if (!s.model) return [0, ''];
      const r = otherModelsOf(s.order.map((id) => s.cells[id]), s.model.manifest.id);
      return [r.count, r.models.join(', ')];
    }),
  );
  const [dismissed, setDismissed] = useState<string | null>(null);
  const shown = `${caseId}\n${n}\n${names}`;
  if (!model || n === 0 || dismissed === shown) return null;
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
      <button type="button" onClick={() => setDismissed(shown)}>
        Keep them as they are
      </button>
    </p>
  );
}
