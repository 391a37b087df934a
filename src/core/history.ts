/**
 * Undo/redo of reclassifications. Each step is a set of per-cell changes of the reviewer's class
 * (null = back to the model's prediction). Undo hands back the inverse to apply; redo the step
 * itself. Pure and immutable.
 */

export interface Change {
  cellId: string;
  from: string | null;
  to: string | null;
}

/** from/to are user classes (null = back to the model's prediction) */
export interface Reclassification {
  changes: Change[];
}

export interface History {
  past: Reclassification[];
  future: Reclassification[];
}

/** Nothing to undo or redo. Never mutated here (every function returns a new History). */
export const emptyHistory: History = { past: [], future: [] };

export const DEFAULT_HISTORY_LIMIT = 200;

const copy = (r: Reclassification): Reclassification => ({ changes: r.changes.map((c) => ({ cellId: c.cellId, from: c.from, to: c.to })) });

/** The changes in reverse order with from ↔ to, so applying them in order undoes `r`. */
export function invert(r: Reclassification): Reclassification {
  return { changes: r.changes.map((c) => ({ cellId: c.cellId, from: c.to, to: c.from })).reverse() };
}

/**
 * Records a step: drops no-op changes (from === to), ignores a step with nothing left, clears the
 * redo stack, and keeps at most `limit` steps (the oldest are dropped).
 */
export function record(h: History, r: Reclassification, limit = DEFAULT_HISTORY_LIMIT): History {
  const changes = r.changes.filter((c) => c.from !== c.to);
  if (changes.length === 0) return h;
  const max = Math.max(0, Math.floor(limit));
  const past = [...h.past, copy({ changes })];
  return { past: past.slice(Math.max(0, past.length - max)), future: [] };
}

/** Steps back: `apply` is the inverse of the last step (null when there is nothing to undo). */
export function undo(h: History): { history: History; apply: Reclassification | null } {
  const last = h.past[h.past.length - 1];
  if (!last) return { history: h, apply: null };
  return { history: { past: h.past.slice(0, -1), future: [last, ...h.future] }, apply: invert(last) };
}

/** Steps forward again: `apply` is the undone step (null when there is nothing to redo). */
export function redo(h: History): { history: History; apply: Reclassification | null } {
  const next = h.future[0];
  if (!next) return { history: h, apply: null };
  return { history: { past: [...h.past, next], future: h.future.slice(1) }, apply: copy(next) };
}

export const canUndo = (h: History): boolean => h.past.length > 0;
export const canRedo = (h: History): boolean => h.future.length > 0;
