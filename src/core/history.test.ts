import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, emptyHistory, invert, record, redo, undo, type History, type Reclassification } from './history.ts';

const step = (...changes: [string, string | null, string | null][]): Reclassification => ({
  changes: changes.map(([cellId, from, to]) => ({ cellId, from, to })),
});

/** Applies reclassifications to a map of user classes, as the store does. */
function apply(state: Record<string, string | null>, r: Reclassification | null): Record<string, string | null> {
  const next = { ...state };
  for (const c of r?.changes ?? []) next[c.cellId] = c.to;
  return next;
}

describe('history', () => {
  it('starts empty', () => {
    expect(emptyHistory).toEqual({ past: [], future: [] });
    expect(canUndo(emptyHistory)).toBe(false);
    expect(canRedo(emptyHistory)).toBe(false);
    expect(undo(emptyHistory)).toEqual({ history: emptyHistory, apply: null });
    expect(redo(emptyHistory)).toEqual({ history: emptyHistory, apply: null });
  });

  it('undoes and redoes a sequence of steps', () => {
    let cells: Record<string, string | null> = { a: null, b: null };
    let h = emptyHistory;
    const s1 = step(['a', null, 'blast']);
    cells = apply(cells, s1);
    h = record(h, s1);
    const s2 = step(['a', 'blast', 'lymphocyte']);
    cells = apply(cells, s2);
    h = record(h, s2);
    const s3 = step(['b', null, 'Not classed']);
    cells = apply(cells, s3);
    h = record(h, s3);
    expect(cells).toEqual({ a: 'lymphocyte', b: 'Not classed' });
    expect(h.past).toHaveLength(3);

    let r = undo(h);
    expect(r.apply).toEqual(step(['b', 'Not classed', null]));
    cells = apply(cells, r.apply);
    h = r.history;
    expect(cells).toEqual({ a: 'lymphocyte', b: null });

    r = undo(h);
    expect(r.apply).toEqual(step(['a', 'lymphocyte', 'blast']));
    cells = apply(cells, r.apply);
    h = r.history;
    expect(cells).toEqual({ a: 'blast', b: null });
    expect([h.past.length, h.future.length]).toEqual([1, 2]);

    r = redo(h);
    expect(r.apply).toEqual(s2);
    cells = apply(cells, r.apply);
    h = r.history;
    expect(cells).toEqual({ a: 'lymphocyte', b: null });

    r = redo(h);
    expect(r.apply).toEqual(s3);
    cells = apply(cells, r.apply);
    h = r.history;
    expect(cells).toEqual({ a: 'lymphocyte', b: 'Not classed' });
    expect(redo(h).apply).toBeNull();

    for (let i = 0; i < 3; i++) {
      r = undo(h);
      cells = apply(cells, r.apply);
      h = r.history;
    }
    expect(cells).toEqual({ a: null, b: null });
    expect(undo(h).apply).toBeNull();
    expect(undo(h).history).toBe(h);
    expect([h.past.length, h.future.length]).toEqual([0, 3]);
  });

  it('handles multi-cell steps, undoing them in reverse order', () => {
    const s = step(['a', null, 'eosinophil'], ['b', 'monocyte', 'eosinophil'], ['c', 'ig', null]);
    const h = record(emptyHistory, s);
    const r = undo(h);
    expect(r.apply).toEqual(step(['c', null, 'ig'], ['b', 'eosinophil', 'monocyte'], ['a', 'eosinophil', null]));
    expect(apply({ a: 'eosinophil', b: 'eosinophil', c: null }, r.apply)).toEqual({ a: null, b: 'monocyte', c: 'ig' });
    expect(redo(r.history).apply).toEqual(s);
  });

  it('undoes a step that changes the same cell twice', () => {
    const s = step(['a', null, 'x'], ['a', 'x', 'y']);
    const r = undo(record(emptyHistory, s));
    expect(apply({ a: 'y' }, r.apply)).toEqual({ a: null });
  });

  it('clears redo when a new step is recorded', () => {
    let h = record(record(emptyHistory, step(['a', null, 'x'])), step(['a', 'x', 'y']));
    h = undo(h).history;
    expect(canRedo(h)).toBe(true);
    h = record(h, step(['b', null, 'z']));
    expect(canRedo(h)).toBe(false);
    expect(h.future).toEqual([]);
    expect(redo(h).apply).toBeNull();
    expect(h.past).toEqual([step(['a', null, 'x']), step(['b', null, 'z'])]);
  });

  it('drops no-op changes and ignores empty steps (keeping redo)', () => {
    const s = step(['a', 'x', 'x'], ['b', null, 'y'], ['c', null, null]);
    const h = record(emptyHistory, s);
    expect(h.past).toEqual([step(['b', null, 'y'])]);

    const withFuture = undo(h).history;
    expect(record(withFuture, step(['a', 'x', 'x']))).toBe(withFuture);
    expect(record(withFuture, { changes: [] })).toBe(withFuture);
    expect(canRedo(record(withFuture, { changes: [] }))).toBe(true);
  });

  it('keeps at most `limit` steps (200 by default), dropping the oldest', () => {
    let h: History = emptyHistory;
    for (let i = 0; i < 5; i++) h = record(h, step([`c${i}`, null, 'x']), 3);
    expect(h.past.map((r) => r.changes[0]!.cellId)).toEqual(['c2', 'c3', 'c4']);

    let d: History = emptyHistory;
    for (let i = 0; i < 250; i++) d = record(d, step([`c${i}`, null, 'x']));
    expect(d.past).toHaveLength(200);
    expect(d.past[0]!.changes[0]!.cellId).toBe('c50');
    expect(d.past[199]!.changes[0]!.cellId).toBe('c249');
    for (let i = 0; i < 200; i++) d = undo(d).history;
    expect(canUndo(d)).toBe(false);
    expect(d.future).toHaveLength(200);

    expect(record(emptyHistory, step(['a', null, 'x']), 0)).toEqual({ past: [], future: [] });
  });

  it('is immutable: inputs are never changed and recorded steps are copies', () => {
    const s = step(['a', null, 'x']);
    const h = record(emptyHistory, s);
    s.changes[0]!.to = 'changed';
    s.changes.push({ cellId: 'b', from: null, to: 'y' });
    expect(h.past[0]).toEqual(step(['a', null, 'x']));
    const before = JSON.stringify(h);
    const u = undo(h);
    redo(u.history);
    record(h, step(['b', null, 'y']));
    expect(JSON.stringify(h)).toBe(before);
    expect(emptyHistory).toEqual({ past: [], future: [] });
  });

  it('invert twice is the identity', () => {
    const s = step(['a', null, 'x'], ['b', 'y', 'z']);
    expect(invert(invert(s))).toEqual(s);
  });
});
