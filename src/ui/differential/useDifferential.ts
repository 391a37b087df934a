import { useMemo } from 'react';
import { wbcDifferential, type WbcDifferential } from '../../core/wbcDifferential.ts';
import { useApp } from '../../store/index.ts';
import { NO_CLASSES } from '../../store/selectors.ts';
import type { CellWithView } from '../useCellViews.ts';

export function useDifferential(items: CellWithView[]): WbcDifferential {
  const classes = useApp((s) => s.model?.classes ?? NO_CLASSES);
  const userClasses = useApp((s) => s.userClasses);
  const target = useApp((s) => s.activeCase?.target ?? 100);
  const wbcCount = useApp((s) => s.activeCase?.wbcCount ?? null);
  return useMemo(
    () => wbcDifferential(items.map((i) => ({ className: i.view.className, status: i.cell.status })), classes, { target, wbcCount, userClasses }),
    [items, classes, target, wbcCount, userClasses],
  );
}
