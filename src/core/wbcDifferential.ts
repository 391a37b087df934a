/**
 * White-cell differential, as a hematology lab reports it: each white-cell class as a percentage of
 * the white cells counted (and, with the analyser's WBC count, as an absolute count ×10⁹/L);
 * NRBCs, platelets, smudge cells/artefacts and other classes per 100 white cells; progress
 * towards the target count (100 or 200 white cells).
 *
 * Cells (className = what the gallery shows: reviewer's class, else the prediction):
 *   - status 'queued'                     → `queued` only
 *   - status 'error'                      → `errors` only (even with a reviewer's class)
 *   - className UNIDENTIFIED              → `unidentified` only, never in percentages
 *   - status 'classified', className null → also `unidentified` (a cell with a result but no
 *                                           class, e.g. its model's class list is missing: it
 *                                           still needs a person, so it is not silently dropped)
 *   - otherwise by `classInfo`: 'wbc' → a row of `rows`; anything else → a row of `per100`.
 * queued + errors + unidentified + wbcTotal + Σ per100 counts = total.
 *
 * Roll-ups: IG sub-classes (metamyelocyte/MMY, myelocyte/MY, promyelocyte/PMY) are counted in
 * their parent row ('ig', or the model's own name for it, e.g. 'IG' or 'immature granulocytes')
 * and listed under it in `members`. Cells classed as the parent itself count in the parent row
 * but are not a member, so Σ members.count ≤ count.
 */
import { UNIDENTIFIED } from './head.ts';
import { canonicalClass, classInfo, type CellCategory, type ClassInfo, type UserClass } from './cellTypes.ts';

export interface WbcMember {
  className: string;
  count: number;
  percent: number;
  absolute: number | null;
}

export interface WbcRow {
  className: string;
  count: number;
  /** % of all white cells */
  percent: number;
  /**
   * `percent` rounded to 1 dp on its own, so equal counts read the same and every row is the nearest
   * 0.1 (2 of 7 is 28.6, not a 28.5 that makes the column add up); the rows may add to 99.9–100.1.
   */
  percentRounded: number;
  /** ×10⁹/L when wbcCount given, else null */
  absolute: number | null;
  /** sub-classes rolled up into this row (e.g. MMY/MY/PMY under ig), each with count/percent/absolute */
  members: WbcMember[];
}

export interface Per100Row {
  className: string;
  category: CellCategory;
  count: number;
  /** per 100 white cells (null when there are no white cells) */
  per100Wbc: number | null;
}

export interface WbcDifferential {
  rows: WbcRow[];
  per100: Per100Row[];
  wbcTotal: number;
  target: number;
  /** wbcTotal / target, capped at 1 */
  progress: number;
  targetReached: boolean;
  unidentified: number;
  errors: number;
  queued: number;
  total: number;
  /** analyser WBC ×10⁹/L used for absolute counts, or null */
  wbcCount: number | null;
}

export interface WbcDifferentialOptions {
  target: 100 | 200 | number;
  wbcCount?: number | null;
  userClasses?: readonly UserClass[];
}

/** The analyser WBC count when it is usable for absolute counts (finite, > 0), else null. */
export function usableWbcCount(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

interface RowAcc {
  count: number;
  members: Map<string, number>;
}

export function wbcDifferential(
  cells: readonly { className: string | null; status: 'queued' | 'classified' | 'error' }[],
  modelClasses: readonly string[],
  opts: WbcDifferentialOptions,
): WbcDifferential {
  const { target } = opts;
  if (typeof target !== 'number' || !Number.isFinite(target) || target <= 0) {
    throw new RangeError(`target must be a positive number of white cells, got ${String(target)}`);
  }
  const wbcCount = usableWbcCount(opts.wbcCount);
  const infoCache = new Map<string, ClassInfo>();
  const info = (name: string): ClassInfo => {
    let i = infoCache.get(name);
    if (!i) {
      i = classInfo(name, opts.userClasses);
      infoCache.set(name, i);
    }
    return i;
  };

  let queued = 0;
  let errors = 0;
  let unidentified = 0;
  // Class names of counted cells, in first-seen order, with their counts.
  const seen = new Map<string, number>();
  for (const cell of cells) {
    if (cell.status === 'queued') queued++;
    else if (cell.status === 'error') errors++;
    else if (cell.className === null || cell.className === undefined || cell.className === UNIDENTIFIED) unidentified++;
    else seen.set(cell.className, (seen.get(cell.className) ?? 0) + 1);
  }

  // All names in display order: the model's classes, then the others first-seen.
  const names: string[] = [];
  const listed = new Set<string>();
  for (const n of [...modelClasses, ...seen.keys()]) {
    if (n === UNIDENTIFIED || listed.has(n)) continue;
    listed.add(n);
    names.push(n);
  }

  // The row a roll-up key (e.g. 'ig') lands in: the first plain white-cell name meaning it.
  const parentName = (key: string): string =>
    names.find((n) => {
      const i = info(n);
      return i.category === 'wbc' && i.rollup === undefined && canonicalClass(n) === key;
    }) ?? key;

  const rowAcc = new Map<string, RowAcc>();
  const ensureRow = (name: string): RowAcc => {
    let r = rowAcc.get(name);
    if (!r) {
      r = { count: 0, members: new Map() };
      rowAcc.set(name, r);
    }
    return r;
  };
  const per100Acc = new Map<string, { category: CellCategory; count: number }>();
  for (const n of names) {
    const i = info(n);
    const count = seen.get(n) ?? 0;
    if (i.category !== 'wbc') {
      per100Acc.set(n, { category: i.category, count });
      continue;
    }
    if (i.rollup !== undefined) {
      const parent = ensureRow(parentName(i.rollup));
      parent.count += count;
      parent.members.set(n, (parent.members.get(n) ?? 0) + count);
    } else {
      ensureRow(n).count += count;
    }
  }

  let wbcTotal = 0;
  for (const r of rowAcc.values()) wbcTotal += r.count;
  const pct = (count: number): number => (wbcTotal > 0 ? (100 * count) / wbcTotal : 0);
  const abs = (percent: number): number | null => (wbcCount === null ? null : (percent / 100) * wbcCount);

  const rowNames = [...rowAcc.keys()];
  const percents = rowNames.map((n) => pct(rowAcc.get(n)!.count));
  // Not largest-remainder rounding to make the column add to 100.0: it gave one of five equal counts a
  // different percentage (25 of 151: 16.5 beside 16.6), which a reader takes for a wrong number.
  const rounded = percents.map((p) => Math.round(p * 10 + 1e-9) / 10);
  const rows: WbcRow[] = rowNames.map((className, k) => {
    const acc = rowAcc.get(className)!;
    const percent = percents[k]!;
    return {
      className,
      count: acc.count,
      percent,
      percentRounded: rounded[k]!,
      absolute: abs(percent),
      members: [...acc.members].map(([m, count]) => {
        const p = pct(count);
        return { className: m, count, percent: p, absolute: abs(p) };
      }),
    };
  });

  const per100: Per100Row[] = [...per100Acc].map(([className, { category, count }]) => ({
    className,
    category,
    count,
    per100Wbc: wbcTotal > 0 ? (100 * count) / wbcTotal : null,
  }));

  return {
    rows,
    per100,
    wbcTotal,
    target,
    progress: Math.min(1, wbcTotal / target),
    targetReached: wbcTotal >= target,
    unidentified,
    errors,
    queued,
    total: cells.length,
    wbcCount,
  };
}
