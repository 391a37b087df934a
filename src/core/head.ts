/**
 * Linear-softmax classification head (head.json, format "linear-softmax-v1") and the decision
 * rule that turns probabilities into a displayed class.
 *
 *   probabilities = softmax(weight · embedding + bias)    (weight: C × D, row-major)
 *   a cell whose top probability is below the bundle's unidentifiedThreshold is "Unidentified".
 */

export interface LinearHead {
  classes: string[];
  inputDim: number;
  /** C × D, row-major */
  weight: Float32Array;
  bias: Float32Array;
}

export const HEAD_FORMAT = 'linear-softmax-v1';
export const UNIDENTIFIED = 'Unidentified';

export class HeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeadError';
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse and check head.json. `expectedClasses` (the manifest's head.classes) must match in order;
 * `expectedDim` (the manifest's embeddingDim) must equal inputDim. Throws HeadError.
 */
export function parseHeadJson(json: unknown, expectedClasses?: string[], expectedDim?: number): LinearHead {
  if (!isObj(json)) throw new HeadError('head.json must be a JSON object');
  if (json.format !== undefined && json.format !== HEAD_FORMAT) {
    throw new HeadError(`head.json format ${JSON.stringify(json.format)} is not supported (expected "${HEAD_FORMAT}")`);
  }
  const { classes, weight, bias } = json;
  if (!Array.isArray(classes) || classes.length < 2) throw new HeadError('head.json "classes" must be an array of at least 2 class names');
  const seen = new Set<string>();
  classes.forEach((c, i) => {
    if (typeof c !== 'string' || c.length === 0) throw new HeadError(`head.json classes[${i}] must be a non-empty string`);
    if (seen.has(c)) throw new HeadError(`head.json class "${c}" appears more than once`);
    seen.add(c);
  });
  const names = classes as string[];
  const C = names.length;
  if (expectedClasses) {
    const same = expectedClasses.length === C && expectedClasses.every((c, i) => c === names[i]);
    if (!same) {
      throw new HeadError(
        `head.json classes [${names.join(', ')}] do not match the manifest's head.classes [${expectedClasses.join(', ')}]`,
      );
    }
  }
  if (!Array.isArray(weight) || weight.length !== C) {
    throw new HeadError(`head.json "weight" must have one row per class (${C} rows)${Array.isArray(weight) ? `, got ${weight.length}` : ''}`);
  }
  const firstRow = weight[0];
  const D = Array.isArray(firstRow) ? firstRow.length : 0;
  if (D < 1) throw new HeadError('head.json weight rows must be non-empty arrays of numbers');
  if (json.inputDim !== undefined && json.inputDim !== D) {
    throw new HeadError(`head.json inputDim is ${String(json.inputDim)} but weight rows have ${D} values`);
  }
  if (expectedDim !== undefined && D !== expectedDim) {
    throw new HeadError(`head.json expects ${D}-dimensional embeddings but the encoder produces ${expectedDim}`);
  }
  const W = new Float32Array(C * D);
  weight.forEach((row, c) => {
    if (!Array.isArray(row) || row.length !== D) {
      throw new HeadError(`head.json weight[${c}] must have ${D} numbers${Array.isArray(row) ? `, got ${row.length}` : ''}`);
    }
    for (let j = 0; j < D; j++) {
      const v = row[j] as unknown;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new HeadError(`head.json weight[${c}][${j}] is not a finite number`);
      W[c * D + j] = v;
    }
  });
  if (!Array.isArray(bias) || bias.length !== C) throw new HeadError(`head.json "bias" must have ${C} numbers`);
  const b = new Float32Array(C);
  bias.forEach((v: unknown, c) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new HeadError(`head.json bias[${c}] is not a finite number`);
    b[c] = v;
  });
  return { classes: names.slice(), inputDim: D, weight: W, bias: b };
}

/** Numerically stable softmax (subtracts the max). Writes into `out` when given. */
export function softmax(logits: ArrayLike<number>, out?: Float32Array | Float64Array): Float32Array | Float64Array {
  const n = logits.length;
  const dst = out ?? new Float32Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i]! - max);
  for (let i = 0; i < n; i++) dst[i] = Math.exp(logits[i]! - max) / sum;
  return dst;
}

/** Logits (n × C) for n embeddings (n × D, row-major). */
export function headLogits(head: LinearHead, embeddings: Float32Array, n: number): Float64Array {
  const { inputDim: D, weight, bias } = head;
  const C = head.classes.length;
  if (embeddings.length < n * D) throw new RangeError(`embeddings too short: ${embeddings.length} < ${n}×${D}`);
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    const e = i * D;
    for (let c = 0; c < C; c++) {
      const w = c * D;
      let s = bias[c]!;
      for (let j = 0; j < D; j++) s += weight[w + j]! * embeddings[e + j]!;
      out[i * C + c] = s;
    }
  }
  return out;
}

/** n × C probabilities (row-major) for n embeddings (n × D, row-major). */
export function applyHead(head: LinearHead, embeddings: Float32Array, n: number): Float32Array {
  const C = head.classes.length;
  const logits = headLogits(head, embeddings, n);
  const probs = new Float32Array(n * C);
  for (let i = 0; i < n; i++) softmax(logits.subarray(i * C, (i + 1) * C), probs.subarray(i * C, (i + 1) * C));
  return probs;
}

/** The k largest entries, largest first (ties: lower index first). */
export function topK(probs: ArrayLike<number>, k: number): { index: number; p: number }[] {
  const idx: number[] = [];
  for (let i = 0; i < probs.length; i++) idx.push(i);
  idx.sort((a, b) => probs[b]! - probs[a]! || a - b);
  return idx.slice(0, Math.max(0, k)).map((index) => ({ index, p: probs[index]! }));
}

export interface Decision {
  /** the top class, or UNIDENTIFIED when its probability is below the threshold */
  predictedClass: string;
  topClass: string;
  confidence: number;
  top3: { cls: string; p: number }[];
}

/** Apply the unidentified threshold: confidence < threshold → UNIDENTIFIED (equal passes). */
export function decide(probs: ArrayLike<number>, classes: string[], threshold: number): Decision {
  if (probs.length !== classes.length) {
    throw new RangeError(`${probs.length} probabilities for ${classes.length} classes`);
  }
  if (probs.length === 0) throw new RangeError('no classes');
  const top = topK(probs, 3);
  const best = top[0]!;
  const topClass = classes[best.index]!;
  return {
    predictedClass: best.p >= threshold ? topClass : UNIDENTIFIED,
    topClass,
    confidence: best.p,
    top3: top.map((t) => ({ cls: classes[t.index]!, p: t.p })),
  };
}

/** Serialise a head to head.json text (shortest decimal that round-trips each float32). */
export function headToJson(head: LinearHead, extra: Record<string, unknown> = {}): string {
  const C = head.classes.length;
  const D = head.inputDim;
  const num = (v: number) => shortestFloat32(v);
  const rows: string[] = [];
  for (let c = 0; c < C; c++) {
    const r: string[] = [];
    for (let j = 0; j < D; j++) r.push(num(head.weight[c * D + j]!));
    rows.push(`    [${r.join(',')}]`);
  }
  const bias = Array.from(head.bias, num).join(',');
  const extraLines = Object.entries(extra).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`).join('');
  return (
    `{\n  "format": "${HEAD_FORMAT}",\n${extraLines}  "classes": ${JSON.stringify(head.classes)},\n` +
    `  "inputDim": ${D},\n  "weight": [\n${rows.join(',\n')}\n  ],\n  "bias": [${bias}]\n}\n`
  );
}

/** Shortest decimal string that parses back to the same float32 value. */
export function shortestFloat32(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new RangeError(`not finite: ${v}`);
  if (f === 0) return '0';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}
