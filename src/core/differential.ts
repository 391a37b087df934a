/**
 * Differential count: how many cells of each class, and each class's share of the classified
 * cells. Unidentified cells and errors are counted separately and are not part of the percentages.
 *
 * A cell's `className` is what the gallery shows (reviewer's class, else predicted class):
 *   - null                → error / not classified (counted in `errors`)
 *   - UNIDENTIFIED        → counted in `unidentified`
 *   - one of `classes`    → counted for that class
 *   - any other name      → counted as a classified cell in an extra row after the model's classes
 *                           (e.g. a reviewer's class from another model), so no cell is lost.
 */
import { UNIDENTIFIED } from './head.ts';

export interface DifferentialRow {
  className: string;
  count: number;
  /** 100 · count / classified (0 when nothing is classified) */
  percent: number;
  /** `percent` rounded to 1 decimal so that the rounded values of all rows add to exactly 100 */
  percentRounded: number;
}

export interface DifferentialCounts {
  /** the model's classes in order, then any other class names met, in first-seen order */
  rows: DifferentialRow[];
  /** cells with a class (the denominator of the percentages) */
  classified: number;
  unidentified: number;
  errors: number;
  /** all cells = classified + unidentified + errors */
  total: number;
}

export function differentialCounts(cells: readonly { className: string | null }[], classes: readonly string[]): DifferentialCounts {
  const counts = new Map<string, number>();
  for (const c of classes) counts.set(c, 0);
  let unidentified = 0;
  let errors = 0;
  let classified = 0;
  for (const cell of cells) {
    const name = cell.className;
    if (name === null || name === undefined) errors++;
    else if (name === UNIDENTIFIED) unidentified++;
    else {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      classified++;
    }
  }
  const names = [...counts.keys()];
  const values = names.map((n) => counts.get(n)!);
  const percents = values.map((v) => (classified > 0 ? (100 * v) / classified : 0));
  const rounded = classified > 0 ? roundPercentages(percents, 1) : percents.map(() => 0);
  return {
    rows: names.map((className, i) => ({
      className,
      count: values[i]!,
      percent: percents[i]!,
      percentRounded: rounded[i]!,
    })),
    classified,
    unidentified,
    errors,
    total: cells.length,
  };
}

/**
 * Round percentages (which add to 100) to `decimals` places so the rounded values still add to
 * exactly 100: largest-remainder method (ties: earlier entry first).
 */
export function roundPercentages(values: readonly number[], decimals = 1): number[] {
  const scale = 10 ** decimals;
  const scaled = values.map((v) => v * scale);
  const floors = scaled.map((v) => Math.floor(v + 1e-9));
  const target = Math.round(scaled.reduce((a, b) => a + b, 0));
  let remaining = target - floors.reduce((a, b) => a + b, 0);
  const order = scaled.map((v, i) => ({ i, r: v - floors[i]! })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (remaining <= 0) break;
    floors[i]!++;
    remaining--;
  }
  return floors.map((f) => f / scale);
}
