/**
 * The reference statistics file (`shift.json` in a bundle, manifest entry `shift`, format
 * "dinobloom-shift-stats-v1"): JSON with the arrays as base64 little-endian float32. The schema is
 * shift-stats.schema.json; `validateShiftStatsJson` is its hand-written twin (the app's CSP forbids
 * ajv's eval) — format.test.ts runs one corpus through both. `parseShiftStats` adds what a schema
 * cannot say: decoded array sizes that fit the dimension and classes, finite values.
 *
 *   { "format": "dinobloom-shift-stats", "version": 1, "bundleId", "encoderSha256": [...],
 *     "embeddingDim": d, "classes": [C], "classCounts": [C], "score": "mahalanobis",
 *     "threshold", "thresholdQuantile", "expectedFlagRate",
 *     "heldIn": { "method", "folds", "n", "quantiles": { "p": [...], "value": [...] } },
 *     "shrinkage", "means": {"shape": [C, d], "float32": "<base64>"},
 *     "whitening": {"shape": [d(d+1)/2], "layout": "packed-lower", "float32": "<base64>"},
 *     "background"?: { "mean": {...}, "whitening": {...}, "shrinkage" },
 *     "sample": { "labels": [m], "embeddings": {"shape": [m, d], "float32": "<base64>"} },
 *     "createdAt", "source"? }
 */
import { Checker, checkSha, type BundleManifest } from '../manifest.ts';
import { base64ToFloat32, BASE64_RE, float32ToBase64 } from './base64.ts';
import { packedSize } from './linalg.ts';
import { SHIFT_SCORE_KINDS, SHIFT_STATS_FORMAT, SHIFT_STATS_VERSION, ShiftStatsError, type ShiftStats } from './stats.ts';

/** The manifest's `shift.format` for this file format. */
export const SHIFT_MANIFEST_FORMAT = 'dinobloom-shift-stats-v1';
export const SHIFT_STATS_FILE = 'shift.json';

interface TensorJson {
  shape: number[];
  layout?: 'packed-lower';
  float32: string;
}

const tensor = (a: Float32Array, shape: number[], layout?: 'packed-lower'): TensorJson => ({ shape, ...(layout ? { layout } : {}), float32: float32ToBase64(a) });

/** Serialise to the file's text (stable key order, one line per field; the base64 blobs stay on one line). */
export function shiftStatsToJson(s: ShiftStats): string {
  const d = s.embeddingDim;
  const json = {
    format: s.format,
    version: s.version,
    bundleId: s.bundleId,
    encoderSha256: s.encoderSha256,
    embeddingDim: d,
    classes: s.classes,
    classCounts: s.classCounts,
    score: s.score,
    threshold: s.threshold,
    thresholdQuantile: s.thresholdQuantile,
    expectedFlagRate: s.expectedFlagRate,
    heldIn: s.heldIn,
    shrinkage: s.shrinkage,
    means: tensor(s.means, [s.classes.length, d]),
    whitening: tensor(s.whitening, [packedSize(d)], 'packed-lower'),
    ...(s.background
      ? { background: { mean: tensor(s.background.mean, [d]), whitening: tensor(s.background.whitening, [packedSize(d)], 'packed-lower'), shrinkage: s.background.shrinkage } }
      : {}),
    sample: { labels: Array.from(s.sample.labels), embeddings: tensor(s.sample.embeddings, [s.sample.labels.length, d]) },
    createdAt: s.createdAt,
    ...(s.source !== undefined ? { source: s.source } : {}),
  };
  return `{\n${Object.entries(json).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`;
}

// ---------------------------------------------------------------------------------------------
// validation (mirrors shift-stats.schema.json)

const TOP_KEYS = [
  'format', 'version', 'bundleId', 'encoderSha256', 'embeddingDim', 'classes', 'classCounts', 'score', 'threshold', 'thresholdQuantile',
  'expectedFlagRate', 'heldIn', 'shrinkage', 'means', 'whitening', 'background', 'sample', 'createdAt', 'source',
] as const;
const TOP_REQUIRED = TOP_KEYS.filter((k) => k !== 'background' && k !== 'source');

function checkTensor(c: Checker, path: string, v: unknown, packed: boolean): void {
  const keys = packed ? ['shape', 'layout', 'float32'] : ['shape', 'float32'];
  if (!c.object(path, v, keys, keys)) return;
  c.optional(v, 'shape', (sh) => {
    if (!c.array(`${path}.shape`, sh, { min: 1, max: 2 })) return;
    sh.forEach((x, i) => c.number(`${path}.shape[${i}]`, x, { integer: true, min: 1 }));
  });
  if (packed) {
    c.optional(v, 'layout', (x) => {
      if (x !== 'packed-lower') c.err(`${path}.layout`, 'must be "packed-lower"');
    });
  }
  c.optional(v, 'float32', (x) => c.string(`${path}.float32`, x, { pattern: BASE64_RE, patternMsg: 'must be base64 text' }));
}

function checkNumberArray(c: Checker, path: string, v: unknown, opts: { min?: number; integer?: boolean; minValue?: number; maxValue?: number }): void {
  if (!c.array(path, v, { min: opts.min })) return;
  v.forEach((x, i) => c.number(`${path}[${i}]`, x, { integer: opts.integer, min: opts.minValue, max: opts.maxValue }));
}

export type ShiftStatsValidation = { ok: true } | { ok: false; errors: string[] };

/** Schema-level check of parsed JSON; every problem, each naming its path. */
export function validateShiftStatsJson(json: unknown): ShiftStatsValidation {
  const c = new Checker();
  if (!c.object('shift statistics', json, TOP_REQUIRED, TOP_KEYS)) return { ok: false, errors: c.errors };
  const j = json;
  c.optional(j, 'format', (v) => {
    if (v !== SHIFT_STATS_FORMAT) c.err('format', `must be "${SHIFT_STATS_FORMAT}"`);
  });
  c.optional(j, 'version', (v) => {
    if (v !== SHIFT_STATS_VERSION) {
      c.errors.push(typeof v === 'number' ? `version ${v} is not supported (this app reads version ${SHIFT_STATS_VERSION})` : `version must be the number ${SHIFT_STATS_VERSION}`);
    }
  });
  c.optional(j, 'bundleId', (v) => c.string('bundleId', v, { min: 1, max: 64 }));
  c.optional(j, 'encoderSha256', (v) => {
    if (c.array('encoderSha256', v, { min: 1 })) v.forEach((x, i) => checkSha(c, `encoderSha256[${i}]`, x));
  });
  c.optional(j, 'embeddingDim', (v) => c.number('embeddingDim', v, { integer: true, min: 1, max: 8192 }));
  c.optional(j, 'classes', (v) => {
    if (c.array('classes', v, { min: 1 })) v.forEach((x, i) => c.string(`classes[${i}]`, x, { min: 1, max: 64 }));
  });
  c.optional(j, 'classCounts', (v) => checkNumberArray(c, 'classCounts', v, { min: 1, integer: true, minValue: 1 }));
  c.optional(j, 'score', (v) => c.oneOf('score', v, SHIFT_SCORE_KINDS));
  c.optional(j, 'threshold', (v) => c.number('threshold', v));
  c.optional(j, 'thresholdQuantile', (v) => c.number('thresholdQuantile', v, { exclusiveMin: 0, max: 1 }));
  c.optional(j, 'expectedFlagRate', (v) => c.number('expectedFlagRate', v, { min: 0, max: 1 }));
  c.optional(j, 'heldIn', (h) => {
    if (!c.object('heldIn', h, ['method', 'folds', 'n', 'quantiles'], ['method', 'folds', 'n', 'quantiles'])) return;
    c.optional(h, 'method', (v) => c.string('heldIn.method', v));
    c.optional(h, 'folds', (v) => c.number('heldIn.folds', v, { integer: true, min: 2 }));
    c.optional(h, 'n', (v) => c.number('heldIn.n', v, { integer: true, min: 1 }));
    c.optional(h, 'quantiles', (qv) => {
      if (!c.object('heldIn.quantiles', qv, ['p', 'value'], ['p', 'value'])) return;
      c.optional(qv, 'p', (v) => checkNumberArray(c, 'heldIn.quantiles.p', v, { min: 1, minValue: 0, maxValue: 1 }));
      c.optional(qv, 'value', (v) => checkNumberArray(c, 'heldIn.quantiles.value', v, { min: 1 }));
    });
  });
  c.optional(j, 'shrinkage', (v) => c.number('shrinkage', v, { min: 0, max: 1 }));
  c.optional(j, 'means', (v) => checkTensor(c, 'means', v, false));
  c.optional(j, 'whitening', (v) => checkTensor(c, 'whitening', v, true));
  c.optional(j, 'background', (b) => {
    if (!c.object('background', b, ['mean', 'whitening', 'shrinkage'], ['mean', 'whitening', 'shrinkage'])) return;
    c.optional(b, 'mean', (v) => checkTensor(c, 'background.mean', v, false));
    c.optional(b, 'whitening', (v) => checkTensor(c, 'background.whitening', v, true));
    c.optional(b, 'shrinkage', (v) => c.number('background.shrinkage', v, { min: 0, max: 1 }));
  });
  c.optional(j, 'sample', (s) => {
    if (!c.object('sample', s, ['labels', 'embeddings'], ['labels', 'embeddings'])) return;
    c.optional(s, 'labels', (v) => checkNumberArray(c, 'sample.labels', v, { integer: true, minValue: 0 }));
    c.optional(s, 'embeddings', (v) => checkTensor(c, 'sample.embeddings', v, false));
  });
  c.optional(j, 'createdAt', (v) => c.string('createdAt', v, { min: 1 }));
  c.optional(j, 'source', (v) => c.string('source', v));
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true };
}

function decodeTensor(path: string, t: TensorJson, shape: number[], errors: string[]): Float32Array {
  const want = shape.reduce((a, b) => a * b, 1);
  if (t.shape.length !== shape.length || t.shape.some((x, i) => x !== shape[i])) {
    errors.push(`${path}.shape is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return new Float32Array(want);
  }
  let a: Float32Array;
  try {
    a = base64ToFloat32(t.float32);
  } catch (e) {
    errors.push(`${path}.float32 is not valid base64 float32 data (${(e as Error).message})`);
    return new Float32Array(want);
  }
  if (a.length !== want) errors.push(`${path}.float32 holds ${a.length} values, expected ${want}`);
  else if (!a.every(Number.isFinite)) errors.push(`${path} has non-finite values`);
  return a;
}

/** Validate and decode parsed shift.json. Throws ShiftStatsError listing every problem. */
export function parseShiftStats(json: unknown): ShiftStats {
  const v = validateShiftStatsJson(json);
  if (!v.ok) throw new ShiftStatsError(`shift statistics are invalid:\n  ${v.errors.join('\n  ')}`);
  const j = json as Record<string, unknown> & {
    embeddingDim: number; classes: string[]; classCounts: number[]; means: TensorJson; whitening: TensorJson; heldIn: ShiftStats['heldIn'];
    background?: { mean: TensorJson; whitening: TensorJson; shrinkage: number }; sample: { labels: number[]; embeddings: TensorJson };
  };
  const d = j.embeddingDim;
  const C = j.classes.length;
  const errors: string[] = [];
  if (j.classCounts.length !== C) errors.push(`classCounts has ${j.classCounts.length} entries for ${C} classes`);
  if (new Set(j.classes).size !== C) errors.push('classes has duplicates');
  const qs = j.heldIn.quantiles;
  if (qs.p.length !== qs.value.length) errors.push(`heldIn.quantiles has ${qs.p.length} levels but ${qs.value.length} values`);
  const m = j.sample.labels.length;
  const badLabel = j.sample.labels.findIndex((l) => l >= C);
  if (badLabel >= 0) errors.push(`sample.labels[${badLabel}] is ${j.sample.labels[badLabel]}, but there are ${C} classes`);
  if (j.score === 'relative-mahalanobis' && !j.background) errors.push('score "relative-mahalanobis" needs "background"');
  const means = decodeTensor('means', j.means, [C, d], errors);
  const whitening = decodeTensor('whitening', j.whitening, [packedSize(d)], errors);
  const sample = m > 0 ? decodeTensor('sample.embeddings', j.sample.embeddings, [m, d], errors) : new Float32Array(0);
  const background = j.background
    ? { mean: decodeTensor('background.mean', j.background.mean, [d], errors), whitening: decodeTensor('background.whitening', j.background.whitening, [packedSize(d)], errors), shrinkage: j.background.shrinkage }
    : undefined;
  if (errors.length) throw new ShiftStatsError(`shift statistics are invalid:\n  ${errors.join('\n  ')}`);
  return {
    format: SHIFT_STATS_FORMAT,
    version: SHIFT_STATS_VERSION,
    bundleId: j.bundleId as string,
    encoderSha256: j.encoderSha256 as string[],
    embeddingDim: d,
    classes: j.classes,
    classCounts: j.classCounts,
    score: j.score as ShiftStats['score'],
    means,
    whitening,
    shrinkage: j.shrinkage as number,
    ...(background ? { background } : {}),
    heldIn: j.heldIn,
    threshold: j.threshold as number,
    thresholdQuantile: j.thresholdQuantile as number,
    expectedFlagRate: j.expectedFlagRate as number,
    sample: { embeddings: sample, labels: Int32Array.from(j.sample.labels) },
    createdAt: j.createdAt as string,
    ...(typeof j.source === 'string' ? { source: j.source } : {}),
  };
}

/** Parse the file's bytes or text (JSON errors become ShiftStatsError). */
export function parseShiftStatsText(text: string | Uint8Array): ShiftStats {
  let json: unknown;
  try {
    json = JSON.parse(typeof text === 'string' ? text : new TextDecoder().decode(text));
  } catch (e) {
    throw new ShiftStatsError(`shift statistics are not valid JSON: ${(e as Error).message}`);
  }
  return parseShiftStats(json);
}

/**
 * Why these statistics cannot be used with this bundle's encoder (dimension or sha256 differs), or
 * null when they fit. `variantSha256`: the encoder file actually loaded; without it, any of the
 * manifest's variants must be listed.
 */
export function shiftStatsMismatch(stats: Pick<ShiftStats, 'embeddingDim' | 'encoderSha256' | 'bundleId'>, manifest: Pick<BundleManifest, 'embeddingDim' | 'encoder' | 'id'>, variantSha256?: string): string | null {
  if (stats.embeddingDim !== manifest.embeddingDim) {
    return `The shift statistics are for ${stats.embeddingDim}-dimensional embeddings, but this model's encoder produces ${manifest.embeddingDim}: they belong to another encoder.`;
  }
  const listed = new Set(stats.encoderSha256.map((s) => s.toLowerCase()));
  const shas = variantSha256 ? [variantSha256.toLowerCase()] : manifest.encoder.variants.map((v) => v.sha256.toLowerCase());
  if (!shas.some((s) => listed.has(s))) {
    const file = variantSha256 ? manifest.encoder.variants.find((v) => v.sha256.toLowerCase() === variantSha256.toLowerCase())?.file : undefined;
    return (
      `The shift statistics were computed with another encoder (bundle "${stats.bundleId}", sha256 ${[...listed].map((s) => s.slice(0, 12)).join(', ')}…), ` +
      `not with this model's ${file ?? 'encoder'} (sha256 ${shas.map((s) => s.slice(0, 12)).join(', ')}…): recompute them with npm run shift-stats.`
    );
  }
  return null;
}

/**
 * Parse a bundle's shift.json bytes and check that they belong to its encoder: what the worker calls
 * after verifying the file's size and sha256 (wrap the ShiftStatsError in a BundleError naming the
 * file, so that the bundle is refused with the reason).
 */
export function readShiftStatsForBundle(bytes: string | Uint8Array, manifest: Pick<BundleManifest, 'embeddingDim' | 'encoder' | 'id'>, variantSha256?: string): ShiftStats {
  const stats = parseShiftStatsText(bytes);
  const mismatch = shiftStatsMismatch(stats, manifest, variantSha256);
  if (mismatch) throw new ShiftStatsError(mismatch);
  return stats;
}
