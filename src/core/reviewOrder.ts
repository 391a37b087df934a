/**
 * The order a reviewer walks through a case: cells grouped by the class they show (Unidentified
 * first, so those get resolved; then the legend's classes; then any other class), optionally the
 * least confident first inside each group, and where the selection goes after a class key.
 * Pure functions over plain data (ids, class names, confidences).
 */
import { UNIDENTIFIED } from './head.ts';

export interface ReviewItem {
  id: string;
  /** the class the cell shows (reviewer's, else the model's, else Unidentified); null = no result */
  className: string | null;
  status: 'queued' | 'classified' | 'error';
  /** the model's top probability, null without a result */
  confidence: number | null;
  /** a reviewer has given this cell a class */
  reviewed: boolean;
}

export interface CellGroup {
  cls: string;
  ids: string[];
}

export interface GroupOptions {
  /** inside each group, the cells the model was least sure of come first */
  leastConfidentFirst?: boolean;
}

/**
 * Cells that have a result (or a reviewer's class) grouped by class. Group order: Unidentified,
 * the legend's classes in legend order, then other classes in the order first seen. Inside a group
 * the cells keep the order they came in, or, with `leastConfidentFirst`, go by ascending confidence
 * (ties and cells without a confidence keep their order, the latter last).
 */
export function groupCells(items: readonly ReviewItem[], classes: readonly string[], opts: GroupOptions = {}): CellGroup[] {
  const by = new Map<string, ReviewItem[]>();
  for (const it of items) {
    if (it.status !== 'classified' && !it.reviewed) continue;
    const k = it.className ?? UNIDENTIFIED;
    let g = by.get(k);
    if (!g) by.set(k, (g = []));
    g.push(it);
  }
  const keys = [UNIDENTIFIED, ...classes, ...[...by.keys()].filter((k) => k !== UNIDENTIFIED && !classes.includes(k))];
  const seen = new Set<string>();
  const out: CellGroup[] = [];
  for (const k of keys) {
    if (seen.has(k) || !by.has(k)) continue;
    seen.add(k);
    let members = by.get(k)!;
    if (opts.leastConfidentFirst) {
      members = members
        .map((it, i) => ({ it, i }))
        .sort((a, b) => (a.it.confidence ?? Infinity) - (b.it.confidence ?? Infinity) || a.i - b.i)
        .map((x) => x.it);
    }
    out.push({ cls: k, ids: members.map((m) => m.id) });
  }
  return out;
}

/** Every grouped cell id in review order. */
export function reviewSequence(groups: readonly CellGroup[]): string[] {
  return groups.flatMap((g) => g.ids);
}

/**
 * Where the selection goes after `done` (the cells just given a class) leave their place: the next
 * cell after the last of them in the same group; at the end of a group, the first cell of the next
 * group; at the very end, the first cell still to review (`pending`) from the start, else the cell
 * before the first of them. `groups` is the layout *before* the reclassification. Null when no other
 * cell is left.
 */
export function nextAfter(groups: readonly CellGroup[], done: readonly string[], pending: (id: string) => boolean = () => false): string | null {
  const doneSet = new Set(done);
  let gi = -1;
  let pos = -1;
  groups.forEach((g, i) =>
    g.ids.forEach((id, j) => {
      if (doneSet.has(id) && (i > gi || (i === gi && j > pos))) {
        gi = i;
        pos = j;
      }
    }),
  );
  if (gi < 0) return null;
  const sameGroup = groups[gi]!.ids.slice(pos + 1).find((id) => !doneSet.has(id));
  if (sameGroup) return sameGroup;
  for (const g of groups.slice(gi + 1)) {
    const id = g.ids.find((x) => !doneSet.has(x));
    if (id) return id;
  }
  const seq = reviewSequence(groups);
  // The end of the slide with cells skipped on the way: back to them rather than to the one before.
  const skipped = seq.find((id) => !doneSet.has(id) && pending(id));
  if (skipped) return skipped;
  const first = seq.findIndex((id) => doneSet.has(id));
  for (let i = first - 1; i >= 0; i--) if (!doneSet.has(seq[i]!)) return seq[i]!;
  return null;
}

/** The cell `delta` places from `id` in review order (clamped to the ends); null when `id` is not grouped. */
export function stepFrom(groups: readonly CellGroup[], id: string, delta: number): string | null {
  const seq = reviewSequence(groups);
  const i = seq.indexOf(id);
  if (i < 0) return seq[0] ?? null;
  return seq[Math.max(0, Math.min(seq.length - 1, i + delta))] ?? null;
}

/** The step a class key made: from the cell it classified to the cell the selection moved on to. */
export interface ReviewTrail {
  from: string;
  to: string;
}

/**
 * Previous/next from `id` in the large view. Right after a class key (`trail`), ← from its `to` goes
 * back to its `from` and → from `from` forward to `to` again, wherever the new class put `from`, so a
 * correction can be re-checked; otherwise a plain step in review order, and the trail is spent.
 * `exists` tells whether a cell is still in the case (a removed one is stepped over).
 */
export function stepWithTrail(
  groups: readonly CellGroup[],
  id: string | null,
  delta: number,
  trail: ReviewTrail | null,
  exists: (id: string) => boolean,
): { next: string | null; trail: ReviewTrail | null } {
  if (trail && id !== null) {
    if (delta < 0 && id === trail.to && exists(trail.from)) return { next: trail.from, trail };
    if (delta > 0 && id === trail.from && exists(trail.to)) return { next: trail.to, trail };
  }
  return { next: id ? stepFrom(groups, id, delta) : (groups[0]?.ids[0] ?? null), trail: null };
}

/** The first cell in review order that `pending` holds for (not yet reviewed), or null. */
export function firstPending(groups: readonly CellGroup[], pending: (id: string) => boolean): string | null {
  return reviewSequence(groups).find(pending) ?? null;
}

/** The group a cell is in, or null. */
export function groupOf(groups: readonly CellGroup[], id: string): string | null {
  return groups.find((g) => g.ids.includes(id))?.cls ?? null;
}

/** How many cells each class shows (every cell with a class, whatever its status). */
export function classCounts(items: readonly Pick<ReviewItem, 'className' | 'status' | 'reviewed'>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const it of items) {
    if (it.className === null || (it.status !== 'classified' && !it.reviewed)) continue;
    counts.set(it.className, (counts.get(it.className) ?? 0) + 1);
  }
  return counts;
}

/**
 * Classes a reviewer can assign, in legend order (key n = entry n − 1): the model's, then
 * `notClassed`, then the lab's own. Without the model's classes (not loaded yet, nothing known
 * about it) the list is empty rather than numbered differently: keys never renumber when the
 * model arrives.
 */
export function reviewClassList(modelClasses: readonly string[] | null, notClassed: string, labClasses: readonly string[]): string[] {
  if (!modelClasses || modelClasses.length === 0) return [];
  const out: string[] = [];
  for (const c of [...modelClasses, notClassed, ...labClasses]) if (!out.includes(c)) out.push(c);
  return out;
}
