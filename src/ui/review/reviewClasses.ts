import { useMemo } from 'react';
import { useApp } from '../../store/index.ts';
import { reviewClassesFrom } from '../../store/reviewActions.ts';

/**
 * Classes a reviewer can assign, in legend order: the model's, Not classed, then the lab's own.
 * Key n = entry n-1. Before the model has loaded, the last model's classes (so keys never renumber).
 */
export function useReviewClasses(): string[] {
  const modelClasses = useApp((s) => s.model?.classes);
  const hint = useApp((s) => s.legendHint);
  const userClasses = useApp((s) => s.userClasses);
  return useMemo(() => reviewClassesFrom(modelClasses, hint, userClasses), [modelClasses, hint, userClasses]);
}

/** Keyboard shortcut for legend entry i: 1–9, then 0. */
export function keyFor(i: number): string | null {
  return i < 9 ? String(i + 1) : i === 9 ? '0' : null;
}

export const CELL_DRAG_TYPE = 'application/x-dinobloom-cells';
