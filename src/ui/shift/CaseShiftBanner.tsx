import { useMemo } from 'react';
import { BUILTIN_MODELS, CROSS_LAB_MODEL_ID } from '../../config.ts';
import { caseShiftSummary, shiftChecksOffReason, shiftRemedy } from '../../store/caseShift.ts';
import { orderedCells } from '../../store/cellsSlice.ts';
import { useApp } from '../../store/index.ts';
import { ShiftBanner } from './ShiftBanner.tsx';

/** The cross-lab built-in a shifted case is pointed to, if this build ships it. */
const crossLabModelId = BUILTIN_MODELS.some((m) => m.id === CROSS_LAB_MODEL_ID) ? CROSS_LAB_MODEL_ID : null;

/** The shift verdict of the open case, above the gallery (quiet until there is something to say). */
export function CaseShiftBanner() {
  const model = useApp((s) => s.model);
  const cells = useApp((s) => s.cells);
  const order = useApp((s) => s.order);
  const summary = useMemo(() => caseShiftSummary(orderedCells({ order, cells }), model), [order, cells, model]);
  if (!model?.head || order.length === 0) return null;
  if (!model.shift) {
    return (
      <p className="notice notice--info shift-off" role="status" data-testid="shift-checks-off">
        {shiftChecksOffReason(model)}
      </p>
    );
  }
  return <ShiftBanner summary={summary} modelName={model.manifest.name} remedy={shiftRemedy(model, crossLabModelId)} />;
}
