import { useMemo } from 'react';
import { NOT_CLASSED } from '../../core/cellTypes.ts';
import { useApp } from '../../store/index.ts';
import { NO_CLASSES } from '../../store/selectors.ts';

/** Classes a reviewer can assign, in legend order: the model's, Not classed, then the lab's own. Key n = entry n-1. */
export function useReviewClasses(): string[] {
  const modelClasses = useApp((s) => s.model?.classes ?? NO_CLASSES);
  const userClasses = useApp((s) => s.userClasses);
  return useMemo(() => {
    const out: string[] = [];
    for (const c of [...modelClasses, NOT_CLASSED, ...userClasses.map((u) => u.name)]) if (!out.includes(c)) out.push(c);
    return out;
  }, [modelClasses, userClasses]);
}

/** Keyboard shortcut for legend entry i: 1–9, then 0. */
export function keyFor(i: number): string | null {
  return i < 9 ? String(i + 1) : i === 9 ? '0' : null;
}

export const CELL_DRAG_TYPE = 'application/x-dinobloom-cells';
