/**
 * A lab head: a classifier trained in the app on the lab's cells, kept as a version of one encoder.
 * The record holds what the Models panel shows (name, version, date, classes, training-set summary,
 * k-fold metrics) and what classifies (linear weights + temperature, or a kNN's training data).
 *
 * Stored as the object itself (IndexedDB clones typed arrays), moved between workstations as JSON
 * (labHeadToJson / parseLabHead, validated) or inside a model bundle as an ordinary head.json
 * (linear-softmax-v1, temperature folded in) whose `labHead` block carries the record's metadata, so
 * that importing the bundle elsewhere brings the name, version and metrics along (labHeadFromHeadJson).
 */
import type { HeadRef } from '../cell.ts';
import { applyHead, headToJson, parseHeadJson, shortestFloat32, type LinearHead } from '../head.ts';
import { sha256Hex, type BundleHeadEntry, type BundleManifest } from '../manifest.ts';
import type { ClassMetrics } from '../metrics.ts';
import { foldTemperature } from './calibration.ts';
import type { MetricSpread } from './crossValidate.ts';
import type { TrainResult } from './engine.ts';
import { createKnnHead, knnPredictProba, type KnnHead } from './knn.ts';
import { MAX_CLASS_NAME } from './labelledFolder.ts';
import type { TrainingSetSummary } from './trainingSet.ts';

export const LAB_HEAD_FORMAT = 'dinobloom-lab-head';
export const LAB_HEAD_FORMAT_VERSION = 1;
export const DEFAULT_HEAD_NAME = 'Lab head';

export class LabHeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabHeadError';
  }
}

export interface LabHeadEncoder {
  bundleId: string;
  bundleVersion?: string;
  /** sha256 of the encoder variant whose embeddings trained the head */
  encoderSha256: string;
  precision?: string;
  inputDim: number;
}

export type LabHeadClassifier =
  | { kind: 'linear'; /** C × D, before temperature scaling */ weight: Float32Array; bias: Float32Array }
  | { kind: 'knn'; k: number; /** n × D */ embeddings: Float32Array; labels: Int32Array };

/** The k-fold figures of a head (compact: no per-cell arrays). */
export interface LabHeadMetrics {
  folds: number;
  seed: number;
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  weightedF1: number;
  spread: { accuracy: MetricSpread; balancedAccuracy: MetricSpread; weightedF1: MetricSpread };
  perClass: ClassMetrics[];
  /** rows = true class, columns = predicted (pooled over the folds) */
  confusion: number[][];
  cPerFold: number[];
  knn: { k: number; accuracy: number; balancedAccuracy: number; weightedF1: number }[];
  /** temperature fitted out of fold; `applied` false when it did not help held-out folds (the head keeps T = 1) */
  calibration: { temperature: number; applied: boolean; eceBefore: number; eceAfter: number } | null;
  /** the head in use at training time, on the same cells */
  comparison: {
    name?: string;
    n: number;
    excludedClasses: string[];
    note: string;
    accuracy: number | null;
    balancedAccuracy: number | null;
    weightedF1: number | null;
    newHeadBalancedAccuracy: number | null;
  } | null;
}

export interface LabHeadRecord {
  format: typeof LAB_HEAD_FORMAT;
  formatVersion: number;
  id: string;
  name: string;
  /** "1", "2", … per encoder */
  version: string;
  /** ISO 8601 */
  createdAt: string;
  encoder: LabHeadEncoder;
  classes: string[];
  classifier: LabHeadClassifier;
  /** divides the logits (1 = none); folded into the weights when the head is used or exported */
  temperature: number;
  training: {
    method: string;
    C: number | null;
    cSelection: { evaluated: number[]; meanScores: number[]; innerFolds: number } | null;
    iterations: number;
    converged: boolean;
    seconds: number;
  };
  trainingSet: TrainingSetSummary;
  metrics: LabHeadMetrics | null;
  /** what the training said (small classes, fewer folds…) */
  messages: string[];
  /** reference statistics for shift checks (src/core/shift defines them) */
  shift?: unknown;
}

// ---------------------------------------------------------------------------------------------
// names and versions

/** "Lab head" → "Lab head (2)" when taken (case-insensitive), then (3)…; blank → DEFAULT_HEAD_NAME. */
export function uniqueHeadName(name: string, taken: readonly string[]): string {
  const base = name.trim().replace(/\s+/g, ' ') || DEFAULT_HEAD_NAME;
  const used = new Set(taken.map((t) => t.trim().toLowerCase()));
  if (!used.has(base.toLowerCase())) return base;
  const stem = base.replace(/ \((\d+)\)$/, '');
  for (let i = 2; ; i++) {
    const candidate = `${stem} (${i})`;
    if (!used.has(candidate.toLowerCase())) return candidate;
  }
}

/** One more than the highest numeric version among an encoder's heads ("1" for the first). */
export function nextHeadVersion(versions: readonly string[]): string {
  const nums = versions.map((v) => Number.parseInt(v, 10)).filter((v) => Number.isInteger(v) && v > 0);
  return String(nums.length ? Math.max(...nums) + 1 : 1);
}

export function headRefOf(record: Pick<LabHeadRecord, 'id' | 'name' | 'version'>): HeadRef {
  return { id: record.id, name: record.name, version: record.version };
}

// ---------------------------------------------------------------------------------------------
// from a training result

export interface NewLabHead {
  id: string;
  name: string;
  encoder: LabHeadEncoder;
  trainingSet: TrainingSetSummary;
  /** the encoder's other heads: for the version number and name disambiguation */
  existing?: readonly Pick<LabHeadRecord, 'name' | 'version'>[];
  createdAt?: Date;
}

export function metricsOf(result: TrainResult): LabHeadMetrics | null {
  const ev = result.evaluation;
  if (!ev) return null;
  const r = ev.linear.report;
  const cmp = result.comparison;
  return {
    folds: ev.k,
    seed: ev.seed,
    n: r.n,
    accuracy: r.accuracy,
    balancedAccuracy: r.balancedAccuracy,
    weightedF1: r.weightedF1,
    spread: ev.linear.spread,
    perClass: r.perClass,
    confusion: r.confusion,
    cPerFold: ev.linear.cPerFold,
    knn: ev.knn.map((k) => ({ k: k.k, accuracy: k.report.accuracy, balancedAccuracy: k.report.balancedAccuracy, weightedF1: k.report.weightedF1 })),
    calibration: result.calibration
      ? { temperature: result.calibration.temperature, applied: result.calibration.improves, eceBefore: result.calibration.eceBefore, eceAfter: result.calibration.eceAfter }
      : null,
    comparison: cmp
      ? {
          name: cmp.name,
          n: cmp.n,
          excludedClasses: cmp.excludedClasses,
          note: cmp.note,
          accuracy: cmp.current?.accuracy ?? null,
          balancedAccuracy: cmp.current?.balancedAccuracy ?? null,
          weightedF1: cmp.current?.weightedF1 ?? null,
          newHeadBalancedAccuracy: cmp.newHead?.balancedAccuracy ?? null,
        }
      : null,
  };
}

/** The record of a linear head just trained (TrainResult from the training worker). */
export function labHeadFromTraining(result: TrainResult, meta: NewLabHead): LabHeadRecord {
  if (meta.encoder.inputDim !== result.inputDim) {
    throw new LabHeadError(`The head was trained on ${result.inputDim}-dimensional embeddings, but the encoder produces ${meta.encoder.inputDim}.`);
  }
  const existing = meta.existing ?? [];
  const sel = result.linear.selection;
  return {
    format: LAB_HEAD_FORMAT,
    formatVersion: LAB_HEAD_FORMAT_VERSION,
    id: meta.id,
    name: uniqueHeadName(meta.name, existing.map((h) => h.name)),
    version: nextHeadVersion(existing.map((h) => h.version)),
    createdAt: (meta.createdAt ?? new Date()).toISOString(),
    encoder: { ...meta.encoder },
    classes: result.classes.slice(),
    classifier: { kind: 'linear', weight: result.linear.weight, bias: result.linear.bias },
    temperature: result.temperature,
    training: {
      method: 'multinomial logistic regression, L2, standardised features (src/core/training)',
      C: result.linear.C,
      cSelection: sel ? { evaluated: sel.evaluated, meanScores: sel.meanScores, innerFolds: sel.innerFolds } : null,
      iterations: result.linear.iterations,
      converged: result.linear.converged,
      seconds: result.seconds.total,
    },
    trainingSet: meta.trainingSet,
    metrics: metricsOf(result),
    messages: result.messages.slice(),
  };
}

/**
 * A kNN head (vote shares of the k nearest training cells) from the same training run: the
 * training set itself is the model. Its metrics are the kNN row of the k-fold evaluation.
 */
export function knnLabHead(result: TrainResult, knn: KnnHead, meta: NewLabHead): LabHeadRecord {
  const base = labHeadFromTraining(result, meta);
  const ev = result.evaluation?.knn.find((e) => e.k === knn.k);
  const metrics = base.metrics && ev
    ? { ...base.metrics, accuracy: ev.report.accuracy, balancedAccuracy: ev.report.balancedAccuracy, weightedF1: ev.report.weightedF1, spread: ev.spread, perClass: ev.report.perClass, confusion: ev.report.confusion, calibration: null }
    : base.metrics;
  return {
    ...base,
    classes: knn.classes.slice(),
    classifier: { kind: 'knn', k: knn.k, embeddings: knn.embeddings, labels: knn.labels },
    temperature: 1,
    training: { ...base.training, method: `k-nearest neighbours, k = ${knn.k}, Euclidean (src/core/training/knn.ts)`, C: null, cSelection: null, iterations: 0 },
    metrics,
  };
}

// ---------------------------------------------------------------------------------------------
// using a head

/** Refuses a head that cannot read this encoder's embeddings; returns notes for lesser differences. */
export function checkLabHeadFits(record: Pick<LabHeadRecord, 'encoder' | 'name'>, encoder: { bundleId: string; inputDim: number; encoderSha256?: string }): string[] {
  if (record.encoder.inputDim !== encoder.inputDim) {
    throw new LabHeadError(
      `Head "${record.name}" expects ${record.encoder.inputDim}-dimensional embeddings, but the encoder produces ${encoder.inputDim}.`,
    );
  }
  if (record.encoder.bundleId !== encoder.bundleId) {
    throw new LabHeadError(`Head "${record.name}" was trained for encoder "${record.encoder.bundleId}", not "${encoder.bundleId}".`);
  }
  return encoder.encoderSha256 && encoder.encoderSha256 !== record.encoder.encoderSha256
    ? [`Head "${record.name}" was trained on another precision of this encoder's embeddings; predictions may differ slightly.`]
    : [];
}

/** The linear-softmax head to run (temperature folded in). */
export function labHeadLinear(record: LabHeadRecord): LinearHead {
  const c = record.classifier;
  if (c.kind !== 'linear') throw new LabHeadError(`Head "${record.name}" is a kNN head, not a linear one.`);
  const { weight, bias } = foldTemperature(c.weight, c.bias, record.temperature);
  return { classes: record.classes.slice(), inputDim: record.encoder.inputDim, weight, bias };
}

export function labHeadKnn(record: LabHeadRecord): KnnHead {
  const c = record.classifier;
  if (c.kind !== 'knn') throw new LabHeadError(`Head "${record.name}" is a linear head, not a kNN one.`);
  return createKnnHead(record.classes, c.embeddings, c.labels, record.encoder.inputDim, c.k);
}

/** n × C probabilities of a lab head for n embeddings (kNN: vote shares). */
export function labHeadPredictProba(record: LabHeadRecord, embeddings: Float32Array, n: number): Float32Array {
  return record.classifier.kind === 'linear' ? applyHead(labHeadLinear(record), embeddings, n) : knnPredictProba(labHeadKnn(record), embeddings, n);
}

// ---------------------------------------------------------------------------------------------
// JSON

const f32 = (v: number) => Number(shortestFloat32(v));

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromBase64(b64: string, what: string): Uint8Array {
  let s: string;
  try {
    s = atob(b64);
  } catch {
    throw new LabHeadError(`${what} is not valid base64`);
  }
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}
function typedToBase64(a: Float32Array | Int32Array): string {
  const dv = new DataView(new ArrayBuffer(a.length * 4));
  a.forEach((v, i) => (a instanceof Float32Array ? dv.setFloat32(i * 4, v, true) : dv.setInt32(i * 4, v, true)));
  return toBase64(new Uint8Array(dv.buffer));
}

/** The record as JSON text (linear weights as C rows of numbers; kNN data as little-endian base64). */
export function labHeadToJson(record: LabHeadRecord): string {
  const c = record.classifier;
  const D = record.encoder.inputDim;
  const classifier =
    c.kind === 'linear'
      ? { kind: 'linear', weight: record.classes.map((_, k) => Array.from(c.weight.subarray(k * D, (k + 1) * D), f32)), bias: Array.from(c.bias, f32) }
      : { kind: 'knn', k: c.k, n: c.labels.length, embeddings: typedToBase64(c.embeddings), labels: typedToBase64(c.labels) };
  return `${JSON.stringify({ ...record, classifier })}\n`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseClasses(v: unknown): string[] {
  if (!Array.isArray(v) || v.length < 2) throw new LabHeadError('"classes" must list at least 2 class names');
  const seen = new Set<string>();
  for (const c of v) {
    if (typeof c !== 'string' || c.trim().length === 0 || c.length > MAX_CLASS_NAME) throw new LabHeadError(`class name ${JSON.stringify(c)} is not a name of 1–${MAX_CLASS_NAME} characters`);
    if (seen.has(c)) throw new LabHeadError(`class "${c}" appears twice`);
    seen.add(c);
  }
  return v as string[];
}

function parseClassifier(v: unknown, C: number, D: number): LabHeadClassifier {
  if (!isObj(v)) throw new LabHeadError('"classifier" is missing');
  if (v.kind === 'linear') {
    // reuse head.json's checks for the weight matrix
    const h = parseHeadJson({ classes: Array.from({ length: C }, (_, i) => `c${i}`), weight: v.weight, bias: v.bias });
    if (h.inputDim !== D) throw new LabHeadError(`the weights read ${h.inputDim}-dimensional embeddings, but the record says ${D}`);
    return { kind: 'linear', weight: h.weight, bias: h.bias };
  }
  if (v.kind === 'knn') {
    const n = v.n;
    if (!Number.isInteger(v.k) || (v.k as number) < 1) throw new LabHeadError('kNN "k" must be a positive integer');
    if (!Number.isInteger(n) || (n as number) < 1) throw new LabHeadError('kNN "n" must be a positive integer');
    if (typeof v.embeddings !== 'string' || typeof v.labels !== 'string') throw new LabHeadError('kNN data must be base64 strings');
    const eb = fromBase64(v.embeddings, 'kNN embeddings');
    const lb = fromBase64(v.labels, 'kNN labels');
    if (eb.length !== (n as number) * D * 4 || lb.length !== (n as number) * 4) throw new LabHeadError(`kNN data do not hold ${String(n)} cells × ${D} dimensions`);
    const edv = new DataView(eb.buffer);
    const ldv = new DataView(lb.buffer);
    const embeddings = Float32Array.from({ length: (n as number) * D }, (_, i) => edv.getFloat32(i * 4, true));
    const labels = Int32Array.from({ length: n as number }, (_, i) => ldv.getInt32(i * 4, true));
    if (!embeddings.every(Number.isFinite)) throw new LabHeadError('kNN embeddings hold a value that is not a finite number');
    if (labels.some((l) => l < 0 || l >= C)) throw new LabHeadError(`kNN labels must lie in [0, ${C})`);
    return { kind: 'knn', k: v.k as number, embeddings, labels };
  }
  throw new LabHeadError(`classifier kind ${JSON.stringify(v.kind)} is not supported`);
}

/**
 * Read and check a lab head (parsed JSON). With `expect`, a head that does not fit the encoder is
 * refused (checkLabHeadFits). Throws LabHeadError with what is wrong.
 */
export function parseLabHead(json: unknown, expect?: { bundleId: string; inputDim: number; encoderSha256?: string }): LabHeadRecord {
  if (!isObj(json)) throw new LabHeadError('a lab head must be a JSON object');
  if (json.format !== LAB_HEAD_FORMAT) throw new LabHeadError(`not a lab head (format ${JSON.stringify(json.format)}, expected "${LAB_HEAD_FORMAT}")`);
  const fv = json.formatVersion;
  if (!Number.isInteger(fv) || (fv as number) < 1) throw new LabHeadError('"formatVersion" must be a positive integer');
  if ((fv as number) > LAB_HEAD_FORMAT_VERSION) {
    throw new LabHeadError(`this head was saved by a newer version of the app (format ${String(fv)}; this app reads up to ${LAB_HEAD_FORMAT_VERSION})`);
  }
  for (const k of ['id', 'name', 'version', 'createdAt'] as const) {
    if (typeof json[k] !== 'string' || (json[k] as string).trim() === '') throw new LabHeadError(`"${k}" must be a non-empty string`);
  }
  if (Number.isNaN(Date.parse(json.createdAt as string))) throw new LabHeadError('"createdAt" is not a date');
  const enc = json.encoder;
  if (!isObj(enc) || typeof enc.bundleId !== 'string' || typeof enc.encoderSha256 !== 'string' || !Number.isInteger(enc.inputDim) || (enc.inputDim as number) < 1) {
    throw new LabHeadError('"encoder" must name bundleId, encoderSha256 and a positive inputDim');
  }
  const D = enc.inputDim as number;
  const classes = parseClasses(json.classes);
  const T = json.temperature;
  if (typeof T !== 'number' || !(T > 0) || !Number.isFinite(T)) throw new LabHeadError('"temperature" must be a positive number');
  if (!isObj(json.training) || !isObj(json.trainingSet)) throw new LabHeadError('"training" and "trainingSet" must be objects');
  if (json.metrics !== null && !isObj(json.metrics)) throw new LabHeadError('"metrics" must be an object or null');
  const record = {
    ...(json as unknown as LabHeadRecord),
    formatVersion: fv as number,
    encoder: enc as unknown as LabHeadEncoder,
    classes,
    classifier: parseClassifier(json.classifier, classes.length, D),
    messages: Array.isArray(json.messages) ? (json.messages as unknown[]).filter((m): m is string => typeof m === 'string') : [],
  };
  if (expect) checkLabHeadFits(record, expect);
  return record;
}

// ---------------------------------------------------------------------------------------------
// as a bundle's head

/** The record without its weights: what head.json's `labHead` block carries. */
function metadataOf(record: LabHeadRecord): Record<string, unknown> {
  const { classifier: _c, shift: _s, ...meta } = record;
  return { ...meta, kind: record.classifier.kind };
}

/** head.json text (linear-softmax-v1, temperature folded in) for exporting a linear lab head in a bundle. */
export function labHeadToHeadJson(record: LabHeadRecord): string {
  return headToJson(labHeadLinear(record), { labHead: metadataOf(record) });
}

/** The manifest's `head` entry for that head.json text. */
export async function labHeadManifestEntry(record: LabHeadRecord, headJsonText: string, file = 'head.json'): Promise<BundleHeadEntry> {
  const bytes = new TextEncoder().encode(headJsonText);
  const date = record.createdAt.slice(0, 10);
  const n = record.trainingSet.total;
  return {
    type: 'linear-softmax',
    classes: record.classes.slice(),
    file,
    bytes: bytes.length,
    sha256: await sha256Hex(bytes),
    trainedOn: `lab head "${record.name}" v${record.version}: ${n} cells, ${record.classes.length} classes, trained in the app ${date}`,
  };
}

/**
 * The lab head inside an imported bundle's head.json (null when head.json is the bundle's own
 * head without a `labHead` block). The weights come back with T already folded in (temperature 1).
 */
export function labHeadFromHeadJson(headJson: unknown, manifest: Pick<BundleManifest, 'id' | 'embeddingDim' | 'head'>): LabHeadRecord | null {
  if (!isObj(headJson) || !isObj(headJson.labHead)) return null;
  const head = parseHeadJson(headJson, manifest.head?.classes, manifest.embeddingDim);
  const meta = headJson.labHead;
  if (meta.kind !== undefined && meta.kind !== 'linear') throw new LabHeadError('only linear lab heads travel inside a bundle');
  const D = head.inputDim;
  const json = {
    ...meta,
    encoder: { ...(isObj(meta.encoder) ? meta.encoder : {}), bundleId: manifest.id, inputDim: D },
    classes: head.classes,
    temperature: 1,
    classifier: { kind: 'linear', weight: head.classes.map((_, k) => Array.from(head.weight.subarray(k * D, (k + 1) * D))), bias: Array.from(head.bias) },
  };
  delete (json as Record<string, unknown>).kind;
  return parseLabHead(json);
}

