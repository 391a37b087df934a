/**
 * "What the lab gains": the head in use today, scored on the same cells the new head was evaluated
 * on, where the classes allow. A lab class counts when the current head has a class of the same name
 * (ignoring case and surrounding spaces); cells of the other lab classes are left out, with a note.
 * Beside it, the new head's out-of-fold predictions on exactly those cells, so the two figures
 * compare like with like.
 */
import { applyHead, type LinearHead } from '../head.ts';
import { classificationReport, type ClassificationReport } from '../metrics.ts';
import { argmaxRows } from './logreg.ts';

export interface CurrentHeadScores {
  /** display name of the current head, e.g. the bundle's name */
  name?: string;
  classes: string[];
  /** n × classes.length, row-major, for the same cells (same order) as the training labels */
  probabilities: ArrayLike<number>;
}

export interface CurrentHeadComparison {
  name?: string;
  /** each lab class and the current head's class it was matched with (null: left out) */
  mapping: { labClass: string; headClass: string | null }[];
  excludedClasses: string[];
  /** cells compared */
  n: number;
  /** cells left out because their class has no counterpart */
  excludedCells: number;
  note: string;
  /** the current head on those cells (its own class list; a prediction of another class is an error) */
  current: ClassificationReport | null;
  /** the new head's out-of-fold predictions on the same cells (lab classes) */
  newHead: ClassificationReport | null;
}

const norm = (s: string) => s.trim().toLowerCase();

/** Case-insensitive exact match of each lab class onto `target` classes (null where none). */
export function matchClasses(labClasses: string[], target: string[]): (number | null)[] {
  const byName = new Map<string, number>();
  target.forEach((c, i) => {
    if (!byName.has(norm(c))) byName.set(norm(c), i);
  });
  return labClasses.map((c) => byName.get(norm(c)) ?? null);
}

/** The current head's probabilities for the training cells, when the caller has the head itself. */
export function currentHeadScores(head: LinearHead, embeddings: Float32Array, n: number, name?: string): CurrentHeadScores {
  return { name, classes: head.classes, probabilities: applyHead(head, embeddings, n) };
}

/**
 * Compare on the overlapping cells. `labels` index `labClasses`; `newHeadPredictions` (optional)
 * are the new head's out-of-fold predictions, also indexing `labClasses`.
 */
export function compareWithCurrentHead(
  labClasses: string[],
  labels: Int32Array,
  current: CurrentHeadScores,
  newHeadPredictions?: Int32Array,
): CurrentHeadComparison {
  const n = labels.length;
  const C = current.classes.length;
  if (current.probabilities.length !== n * C) {
    throw new RangeError(`current head: ${current.probabilities.length} probabilities for ${n} cells × ${C} classes`);
  }
  const match = matchClasses(labClasses, current.classes);
  const mapping = labClasses.map((c, i) => ({ labClass: c, headClass: match[i] === null ? null : current.classes[match[i]!]! }));
  const excludedClasses = mapping.filter((m) => m.headClass === null).map((m) => m.labClass);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (match[labels[i]!] !== null) keep.push(i);
  const excludedCells = n - keep.length;
  const base = { name: current.name, mapping, excludedClasses, n: keep.length, excludedCells };
  if (keep.length === 0) {
    return {
      ...base,
      note: `None of the lab's classes (${labClasses.join(', ')}) is a class of the current head (${current.classes.join(', ')}): no comparison.`,
      current: null,
      newHead: null,
    };
  }
  const probs = new Float64Array(keep.length * C);
  keep.forEach((i, r) => {
    for (let c = 0; c < C; c++) probs[r * C + c] = current.probabilities[i * C + c]!;
  });
  const yHead = Int32Array.from(keep, (i) => match[labels[i]!]!);
  const currentReport = classificationReport(yHead, argmaxRows(probs, keep.length, C), current.classes);
  const newHead = newHeadPredictions
    ? classificationReport(
        Int32Array.from(keep, (i) => labels[i]!),
        Int32Array.from(keep, (i) => newHeadPredictions[i]!),
        labClasses,
      )
    : null;
  const note =
    excludedClasses.length === 0
      ? `All ${keep.length} cells compared: every lab class is a class of the current head.`
      : `${keep.length} of ${n} cells compared; ${excludedCells} cells of ${excludedClasses.map((c) => `"${c}"`).join(', ')} left out ` +
        '(the current head has no class of that name).';
  return { ...base, note, current: currentReport, newHead };
}
