/**
 * Stratified k-fold assignment, seeded, with scikit-learn's StratifiedKFold allocation: how many
 * cells of each class go to each fold is exactly what sklearn computes (labels sorted, every k-th
 * taken), so fold sizes differ by at most one and every class is spread as evenly as possible.
 * Which cells of a class go to which fold is a seeded shuffle (mulberry32 + Fisher-Yates); with
 * `shuffle: false` the cells of a class fill the folds in order, identical to
 * `StratifiedKFold(k, shuffle=False)` (tools/fixtures/sklearn_logreg.py checks both).
 */

/** mulberry32: small, fast, seedable; the same sequence in tools/fixtures/sklearn_logreg.py. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle driven by `rand` (i from the end, j = floor(rand · (i + 1))). */
export function shuffleInPlace<T>(a: T[] | Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Cells per (fold, class) as sklearn allocates them: folds × classes. */
export function foldAllocation(counts: ArrayLike<number>, k: number): number[][] {
  const K = counts.length;
  const alloc = Array.from({ length: k }, () => new Array<number>(K).fill(0));
  // position p in the label-sorted order goes to fold p mod k
  let p = 0;
  for (let c = 0; c < K; c++) {
    for (let r = 0; r < counts[c]!; r++, p++) alloc[p % k]![c]!++;
  }
  return alloc;
}

/**
 * Fold index (0..k-1) of every cell. Classes are taken in order of first appearance, as sklearn
 * encodes them (this only matters for the allocation when classes are unbalanced).
 */
export function stratifiedFolds(y: Int32Array, numClasses: number, k: number, opts: { seed?: number; shuffle?: boolean } = {}): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k-fold needs k >= 2, got ${k}`);
  const n = y.length;
  const members: number[][] = Array.from({ length: numClasses }, () => []);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = y[i]!;
    if (c < 0 || c >= numClasses) throw new RangeError(`label y[${i}] = ${c} is outside [0, ${numClasses})`);
    if (members[c]!.length === 0) order.push(c);
    members[c]!.push(i);
  }
  const counts = order.map((c) => members[c]!.length);
  const alloc = foldAllocation(counts, k);
  const rand = mulberry32(opts.seed ?? 0);
  const out = new Int32Array(n);
  order.forEach((c, e) => {
    const folds: number[] = [];
    for (let f = 0; f < k; f++) for (let r = 0; r < alloc[f]![e]!; r++) folds.push(f);
    if (opts.shuffle ?? true) shuffleInPlace(folds, rand);
    members[c]!.forEach((i, r) => (out[i] = folds[r]!));
  });
  return out;
}

/** Indices of the cells in fold f (test) and of all the others (train), in order. */
export function foldSplit(foldOf: Int32Array, f: number): { train: Int32Array; test: Int32Array } {
  let nTest = 0;
  for (let i = 0; i < foldOf.length; i++) if (foldOf[i] === f) nTest++;
  const test = new Int32Array(nTest);
  const train = new Int32Array(foldOf.length - nTest);
  let a = 0;
  let b = 0;
  for (let i = 0; i < foldOf.length; i++) {
    if (foldOf[i] === f) test[a++] = i;
    else train[b++] = i;
  }
  return { train, test };
}

/** Rows `idx` of X (n × d) as a new n' × d array. */
export function takeRows(X: Float32Array, d: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    out.set(X.subarray(i * d, (i + 1) * d), r * d);
  }
  return out;
}

export function takeLabels(y: Int32Array, idx: Int32Array): Int32Array {
  return Int32Array.from(idx, (i) => y[i]!);
}

export function classCounts(y: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  return counts;
}

/** Below this many cells a class's k-fold figures are noted as unreliable. */
export const SMALL_CLASS = 5;

export interface FoldPlan {
  /** folds actually used; 0 = no cross-validation possible or wanted */
  k: number;
  requested: number;
  /** what was done and why, for the lab */
  messages: string[];
}

/**
 * How many folds a training set allows: every fold must hold at least one cell of every class, so
 * k is at most the smallest class's count. Classes must already have >= 2 cells (see the engine).
 */
export function planFolds(counts: number[], classes: string[], requested: number): FoldPlan {
  const messages: string[] = [];
  if (requested < 2) return { k: 0, requested, messages: ['Cross-validation is off: no k-fold metrics.'] };
  let min = Infinity;
  let minClass = '';
  counts.forEach((c, i) => {
    if (c < min) {
      min = c;
      minClass = classes[i]!;
    }
  });
  const k = Math.min(requested, min);
  if (k < 2) {
    return { k: 0, requested, messages: [`Class "${minClass}" has ${min} cell${min === 1 ? '' : 's'}: no cross-validation possible.`] };
  }
  if (k < requested) {
    messages.push(
      `Class "${minClass}" has only ${min} cells: ${k}-fold cross-validation instead of ${requested} (every fold needs at least one cell of each class).`,
    );
  }
  const small = classes.filter((_, i) => counts[i]! < SMALL_CLASS);
  if (small.length > 0) {
    messages.push(
      `Fewer than ${SMALL_CLASS} cells in ${small.map((c) => `"${c}" (${counts[classes.indexOf(c)]})`).join(', ')}: ` +
        'their precision and recall rest on very few cells; add more for figures you can trust.',
    );
  }
  return { k, requested, messages };
}
