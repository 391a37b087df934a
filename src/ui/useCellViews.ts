import { useMemo, useRef } from 'react';
import { cellClasses, viewCell, type Cell, type CellView } from '../core/cell.ts';
import { useApp } from '../store/index.ts';

export interface CellWithView {
  cell: Cell;
  view: CellView;
}

/**
 * Every cell with its derived view (class, confidence, top-3). A cell's entry is reused while the
 * cell record, its model's classes and the threshold are unchanged, so a batch of 8 new results
 * re-renders 8 thumbnails, not all 5,000 (memoised components compare by identity).
 */
export function useCellViews(): CellWithView[] {
  const order = useApp((s) => s.order);
  const cells = useApp((s) => s.cells);
  const modelClasses = useApp((s) => s.modelClasses);
  const threshold = useApp((s) => s.thresholdOverride ?? s.model?.manifest.unidentifiedThreshold ?? 0.5);
  const cache = useRef<{ classes: unknown; threshold: number; byCell: WeakMap<Cell, CellWithView> } | null>(null);
  return useMemo(() => {
    if (!cache.current || cache.current.classes !== modelClasses || cache.current.threshold !== threshold) {
      cache.current = { classes: modelClasses, threshold, byCell: new WeakMap() };
    }
    const byCell = cache.current.byCell;
    return order.flatMap((id) => {
      const cell = cells[id];
      if (!cell) return [];
      let entry = byCell.get(cell);
      if (!entry) {
        entry = { cell, view: viewCell(cell, cellClasses(cell, modelClasses), threshold) };
        byCell.set(cell, entry);
      }
      return [entry];
    });
  }, [order, cells, modelClasses, threshold]);
}
