import { useMemo } from 'react';
import { viewCell, type Cell, type CellView } from '../core/cell.ts';
import { useApp } from '../store/index.ts';

export interface CellWithView {
  cell: Cell;
  view: CellView;
}

/** Every cell with its derived view (class, confidence, top-3), recomputed only when inputs change. */
export function useCellViews(): CellWithView[] {
  const order = useApp((s) => s.order);
  const cells = useApp((s) => s.cells);
  const modelClasses = useApp((s) => s.modelClasses);
  const threshold = useApp((s) => s.thresholdOverride ?? s.model?.manifest.unidentifiedThreshold ?? 0.5);
  return useMemo(
    () =>
      order.flatMap((id) => {
        const cell = cells[id];
        if (!cell) return [];
        return [{ cell, view: viewCell(cell, cell.modelId ? modelClasses[cell.modelId] : undefined, threshold) }];
      }),
    [order, cells, modelClasses, threshold],
  );
}
