import { useState } from 'react';
import { cellClasses } from '../../core/cell.ts';
import { verifiedLabel } from '../../core/training/index.ts';
import { trainLabHead } from '../../store/headTraining.ts';
import { useApp } from '../../store/index.ts';

/**
 * Learn from review: once a case is signed, say how many verified cells it holds for the active
 * encoder and offer to retrain the lab head with them (all signed cases, added to the active lab
 * head's training set). An offer only: nothing is trained until the lab asks, and the new head is
 * used only after its k-fold result is seen and accepted.
 */
export function RetrainOffer() {
  const c = useApp((s) => s.activeCase);
  const model = useApp((s) => s.model);
  const busy = useApp((s) => s.headJob !== null);
  const verified = useApp((s) => {
    let n = 0;
    for (const id of s.order) {
      const cell = s.cells[id];
      if (cell && cell.modelId === s.model?.manifest.id && verifiedLabel(cell, cellClasses(cell, s.modelClasses))) n++;
    }
    return n;
  });
  const [dismissed, setDismissed] = useState<string | null>(null);
  if (!c || c.status !== 'signed' || !model || verified === 0 || dismissed === c.id) return null;
  const activeLab = model.head && useApp.getState().labHeads.find((h) => h.id === model.head!.id);
  const label = activeLab ? `Retrain the lab head with ${verified} verified cells` : `Train a lab head with ${verified} verified cells`;
  return (
    <p className="notice notice--info" role="status" data-testid="retrain-offer">
      This signed case holds {verified} verified cell{verified === 1 ? '' : 's'} for {model.manifest.name}
      {activeLab ? ` (its lab head "${activeLab.name}" v${activeLab.version} was trained on ${activeLab.trainingItems?.length ?? 'other'} cells)` : ''}.{' '}
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          useApp.setState({ modelsPanelOpen: true });
          const signed = useApp.getState().cases.filter((x) => x.status === 'signed').map((x) => x.id);
          void trainLabHead({ caseIds: signed.includes(c.id) ? signed : [...signed, c.id], ...(activeLab ? { extendHeadId: activeLab.id } : {}) });
        }}
      >
        {label}
      </button>{' '}
      <button type="button" onClick={() => setDismissed(c.id)}>
        Not now
      </button>
    </p>
  );
}
