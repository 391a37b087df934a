/**
 * Model bundle manifest: TypeScript mirror of manifest.schema.json, a hand-written validator
 * (the app's CSP forbids the eval that ajv needs), integrity checks and variant selection.
 *
 * `validateManifest` accepts exactly what the JSON schema accepts — manifest.test.ts runs a corpus
 * of good and broken manifests through both this validator and ajv to keep them in step. Change the
 * two together.
 */

export type Precision = 'fp32' | 'fp16' | 'int8';
export type ManifestBackend = 'wasm' | 'webgpu';

export interface VariantVerification {
  maxAbsDiff?: number;
  minCosine?: number;
  meanCosine?: number;
  inputs?: string;
  [key: string]: unknown;
}

export interface EncoderVariant {
  precision: Precision;
  file: string;
  bytes: number;
  sha256: string;
  backends: ManifestBackend[];
  /** reference (torch) vs this ONNX file on the same inputs */
  verification?: VariantVerification;
}

export interface BundleHeadEntry {
  type: 'linear-softmax';
  classes: string[];
  file: string;
  bytes: number;
  sha256: string;
  trainedOn?: string;
}

/** Reference statistics of the encoder's embeddings for the shift checks (src/core/shift/format.ts). */
export interface BundleShiftEntry {
  format: 'dinobloom-shift-stats-v1';
  file: string;
  bytes: number;
  sha256: string;
}

export interface BundleArchitecture {
  family: 'dinov2-vit' | 'cnn';
  variant: string;
  patchSize?: number;
  depth?: number;
  numHeads?: number;
  parameters?: number;
  source?: string;
  [key: string]: unknown;
}

/**
 * Which part of the crop becomes the model input (src/core/preprocess.ts):
 * - "whole-bilinear-antialias": the whole crop resized straight to size×size (DinoBloom; no centre crop);
 * - "cell-centred-v1": the square around the white cell found by src/core/cellCrop.ts, `margin` × its
 *   side added on each side, resized to size×size (the whole crop when no cell is found).
 */
export type ResizePolicy = 'whole-bilinear-antialias' | 'cell-centred-v1';
export const RESIZE_POLICIES: readonly ResizePolicy[] = ['whole-bilinear-antialias', 'cell-centred-v1'];
/** cell-centred-v1 margins the app accepts (fraction of the cell box's side, on each side) */
export const MAX_CELL_MARGIN = 2;

export interface BundleInput {
  /** ONNX input name; float32 [N, 3, size, size], RGB */
  name: string;
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  resize: ResizePolicy;
  /** cell-centred-v1 only (required there): margin around the cell box, fraction of its side per side */
  margin?: number;
}

/** Where the encoder's weights came from, for bundles made by a converter (in the browser or tools/dinobloom). */
export interface BundleConvertedFrom {
  /** the checkpoint's file name */
  file: string;
  bytes?: number;
  /** lowercase hex sha256 of the checkpoint file */
  sha256: string;
  /** zenodo-teacher | hf-flat | timm-safetensors */
  layout: 'zenodo-teacher' | 'hf-flat' | 'timm-safetensors';
  /** the published file it matches by sha256, when it does */
  official?: string;
  /** which converter made the bundle */
  converter?: string;
  notes?: string[];
}

/**
 * A second, turned encoder pass for the cells the bundle's own head is unsure of; the cell's embedding is
 * the mean of both views' (src/core/secondView.ts applies it, in the worker and the CLI alike).
 */
export interface SecondViewPolicy {
  /** quarter turns of the second view (1: 90°, the direction of torch.rot90(x, 1, dims=(2, 3))) */
  quarterTurns: 1 | 2 | 3;
  /** a cell gets the second view when its largest first-view probability is below this */
  belowConfidence: number;
  /**
   * The head whose first-view probabilities decide (a linear-softmax-v1 head.json with its own classes);
   * absent: the bundle's own head. Written when a bundle's head is replaced (a lab head exported with
   * the encoder files, `npm run train-head`, `calibrate-head --write`), so the cells that get the second
   * view, and with them every embedding, stay those of the encoder as published (keepSecondViewGate).
   */
  gate?: BundleFileEntry;
}

/** A file of the bundle, pinned by size and sha256. */
export interface BundleFileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

/** The file the second view's gate is copied to when the bundle's head is replaced. */
export const SECOND_VIEW_GATE_FILE = 'second-view-gate.json';

/**
 * The head file that decides which cells get the second view: encoder.secondView.gate, else the
 * bundle's own head; null without a second view.
 */
export function secondViewGate(m: Pick<BundleManifest, 'encoder' | 'head'>): BundleFileEntry | null {
  const sv = m.encoder.secondView;
  return sv ? (sv.gate ?? m.head ?? null) : null;
}

/**
 * The manifest for replacing the bundle's head: when the head is (implicitly) the second view's gate,
 * the gate becomes an explicit copy of it, so the new head classifies but does not change which cells
 * are looked at twice. `copy` names the file to copy (from → to) before the head is overwritten; null
 * when nothing needs copying.
 */
export function keepSecondViewGate<M extends Pick<BundleManifest, 'encoder' | 'head'>>(m: M): { manifest: M; copy: { from: string; to: string } | null } {
  const sv = m.encoder.secondView;
  if (!sv || sv.gate || !m.head) return { manifest: m, copy: null };
  const gate: BundleFileEntry = { file: SECOND_VIEW_GATE_FILE, bytes: m.head.bytes, sha256: m.head.sha256 };
  return { manifest: { ...m, encoder: { ...m.encoder, secondView: { ...sv, gate } } }, copy: { from: m.head.file, to: gate.file } };
}

export interface BundleManifest {
  formatVersion: 1;
  id: string;
  name: string;
  version: string;
  description?: string;
  /** true for random-weight bundles that must never be used on patients */
  testModel?: boolean;
  architecture: BundleArchitecture;
  embeddingDim: number;
  input: BundleInput;
  /** ONNX output name; absent means "embedding" */
  output?: { name: string };
  /** secondView: a second, turned pass for the cells the bundle's head is unsure of (src/core/secondView.ts) */
  encoder: { variants: EncoderVariant[]; secondView?: SecondViewPolicy };
  /** absent in an encoder-only bundle straight from the converter */
  head?: BundleHeadEntry;
  /** absent: the app runs with shift checks off for this bundle */
  shift?: BundleShiftEntry;
  unidentifiedThreshold: number;
  licence: string;
  citation: string;
  dataCredit?: string;
  metrics?: Record<string, unknown>;
  convertedFrom?: BundleConvertedFrom;
}

/** Default ONNX output name when `manifest.output` is absent. */
export const DEFAULT_OUTPUT_NAME = 'embedding';
export const SUPPORTED_FORMAT_VERSION = 1;

export type ManifestValidation = { ok: true; manifest: BundleManifest } | { ok: false; errors: string[] };

// ---------------------------------------------------------------------------------------------
// validator

const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/u;
const FILE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u;
const SHA_RE = /^[0-9a-f]{64}$/u;

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `a ${typeof v}`;
}
/** JSON Schema counts string length in Unicode code points. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Collects validation errors, each naming its JSON path (also used by src/core/shift/format.ts). */
export class Checker {
  readonly errors: string[] = [];

  err(path: string, msg: string): void {
    this.errors.push(`${path} ${msg}`);
  }

  object(path: string, v: unknown, required: readonly string[], allowed: readonly string[] | null): v is Obj {
    if (!isObject(v)) {
      this.err(path, `must be an object (got ${describe(v)})`);
      return false;
    }
    for (const key of required) if (!(key in v)) this.err(path, `is missing required property "${key}"`);
    if (allowed) {
      for (const key of Object.keys(v)) {
        if (!allowed.includes(key)) this.err(path, `has unknown property "${key}"`);
      }
    }
    return true;
  }

  string(path: string, v: unknown, opts: { min?: number; max?: number; pattern?: RegExp; patternMsg?: string } = {}): void {
    if (typeof v !== 'string') {
      this.err(path, `must be a string (got ${describe(v)})`);
      return;
    }
    const len = codePoints(v);
    if (opts.min !== undefined && len < opts.min) {
      this.err(path, opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters long`);
    }
    if (opts.max !== undefined && len > opts.max) this.err(path, `must be at most ${opts.max} characters long (got ${len})`);
    if (opts.pattern && !opts.pattern.test(v)) this.err(path, opts.patternMsg ?? `must match ${opts.pattern.source}`);
  }

  number(path: string, v: unknown, opts: { integer?: boolean; min?: number; max?: number; exclusiveMin?: number } = {}): void {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.err(path, `must be ${opts.integer ? 'an integer' : 'a number'} (got ${describe(v)})`);
      return;
    }
    if (opts.integer && !Number.isInteger(v)) this.err(path, `must be an integer (got ${v})`);
    if (opts.min !== undefined && v < opts.min) this.err(path, `must be >= ${opts.min} (got ${v})`);
    if (opts.max !== undefined && v > opts.max) this.err(path, `must be <= ${opts.max} (got ${v})`);
    if (opts.exclusiveMin !== undefined && !(v > opts.exclusiveMin)) this.err(path, `must be > ${opts.exclusiveMin} (got ${v})`);
  }

  oneOf(path: string, v: unknown, values: readonly string[]): void {
    if (typeof v !== 'string' || !values.includes(v)) {
      this.err(path, `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')} (got ${describe(v)})`);
    }
  }

  array(path: string, v: unknown, opts: { min?: number; max?: number } = {}): v is unknown[] {
    if (!Array.isArray(v)) {
      this.err(path, `must be an array (got ${describe(v)})`);
      return false;
    }
    if (opts.min !== undefined && opts.min === opts.max && v.length !== opts.min) {
      this.err(path, `must have exactly ${opts.min} items (got ${v.length})`);
      return true;
    }
    if (opts.min !== undefined && v.length < opts.min) this.err(path, `must have at least ${opts.min} item${opts.min === 1 ? '' : 's'} (got ${v.length})`);
    if (opts.max !== undefined && v.length > opts.max) this.err(path, `must have at most ${opts.max} items (got ${v.length})`);
    return true;
  }

  optional(obj: Obj, key: string, fn: (v: unknown) => void): void {
    if (key in obj) fn(obj[key]);
  }
}

const TOP_KEYS = [
  'formatVersion', 'id', 'name', 'version', 'description', 'testModel', 'architecture', 'embeddingDim', 'input',
  'output', 'encoder', 'head', 'shift', 'unidentifiedThreshold', 'licence', 'citation', 'dataCredit', 'metrics', 'convertedFrom',
] as const;
const TOP_REQUIRED = [
  'formatVersion', 'id', 'name', 'version', 'architecture', 'embeddingDim', 'input', 'encoder',
  'unidentifiedThreshold', 'licence', 'citation',
] as const;

/**
 * Validate parsed manifest.json. Returns every problem found, each naming its JSON path, e.g.
 * `encoder.variants[1].sha256 must be 64 lowercase hex characters`.
 */
export function validateManifest(json: unknown): ManifestValidation {
  const c = new Checker();
  if (!c.object('manifest', json, TOP_REQUIRED, TOP_KEYS)) return { ok: false, errors: c.errors };
  const m = json;

  c.optional(m, 'formatVersion', (v) => {
    if (v !== SUPPORTED_FORMAT_VERSION) {
      c.errors.push(
        typeof v === 'number'
          ? `formatVersion ${v} is not supported (this app reads formatVersion ${SUPPORTED_FORMAT_VERSION})`
          : `formatVersion must be the number ${SUPPORTED_FORMAT_VERSION} (got ${describe(v)})`,
      );
    }
  });
  c.optional(m, 'id', (v) =>
    c.string('id', v, {
      pattern: ID_RE,
      patternMsg: 'must be 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
    }),
  );
  c.optional(m, 'name', (v) => c.string('name', v, { min: 1, max: 200 }));
  c.optional(m, 'version', (v) => c.string('version', v, { min: 1, max: 50 }));
  c.optional(m, 'description', (v) => c.string('description', v, { max: 2000 }));
  c.optional(m, 'testModel', (v) => {
    if (typeof v !== 'boolean') c.err('testModel', `must be true or false (got ${describe(v)})`);
  });

  c.optional(m, 'architecture', (a) => {
    if (!c.object('architecture', a, ['family', 'variant'], null)) return;
    c.optional(a, 'family', (v) => c.oneOf('architecture.family', v, ['dinov2-vit', 'cnn']));
    c.optional(a, 'variant', (v) => c.string('architecture.variant', v));
    for (const k of ['patchSize', 'depth', 'numHeads', 'parameters'] as const) {
      c.optional(a, k, (v) => c.number(`architecture.${k}`, v, { integer: true, min: 1 }));
    }
    c.optional(a, 'source', (v) => c.string('architecture.source', v));
  });

  c.optional(m, 'embeddingDim', (v) => c.number('embeddingDim', v, { integer: true, min: 1, max: 8192 }));

  c.optional(m, 'input', (inp) => {
    if (!c.object('input', inp, ['name', 'size', 'mean', 'std', 'resize'], ['name', 'size', 'mean', 'std', 'resize', 'margin'])) return;
    c.optional(inp, 'name', (v) => c.string('input.name', v, { min: 1 }));
    c.optional(inp, 'size', (v) => c.number('input.size', v, { integer: true, min: 8, max: 1024 }));
    c.optional(inp, 'mean', (v) => {
      if (c.array('input.mean', v, { min: 3, max: 3 })) v.forEach((x, i) => c.number(`input.mean[${i}]`, x));
    });
    c.optional(inp, 'std', (v) => {
      if (c.array('input.std', v, { min: 3, max: 3 })) v.forEach((x, i) => c.number(`input.std[${i}]`, x, { exclusiveMin: 0 }));
    });
    c.optional(inp, 'resize', (v) => c.oneOf('input.resize', v, RESIZE_POLICIES));
    // the policy's parameters: a margin for cell-centred-v1 (required), none for the whole-crop resize
    if (inp.resize === 'cell-centred-v1') {
      if (!('margin' in inp)) c.err('input', 'is missing required property "margin" (input.resize "cell-centred-v1" needs it)');
      else c.number('input.margin', inp.margin, { min: 0, max: MAX_CELL_MARGIN });
    } else if ('margin' in inp) {
      c.err('input.margin', 'is only allowed with input.resize "cell-centred-v1"');
    }
  });

  c.optional(m, 'output', (o) => {
    if (!c.object('output', o, ['name'], ['name'])) return;
    c.optional(o, 'name', (v) => c.string('output.name', v, { min: 1 }));
  });

  c.optional(m, 'encoder', (e) => {
    if (!c.object('encoder', e, ['variants'], ['variants', 'secondView'])) return;
    c.optional(e, 'variants', (vs) => {
      if (!c.array('encoder.variants', vs, { min: 1 })) return;
      vs.forEach((v, i) => checkVariant(c, `encoder.variants[${i}]`, v));
    });
    c.optional(e, 'secondView', (sv) => {
      if (!c.object('encoder.secondView', sv, ['quarterTurns', 'belowConfidence'], ['quarterTurns', 'belowConfidence', 'gate'])) return;
      c.optional(sv, 'quarterTurns', (v) => c.number('encoder.secondView.quarterTurns', v, { integer: true, min: 1, max: 3 }));
      c.optional(sv, 'belowConfidence', (v) => c.number('encoder.secondView.belowConfidence', v, { exclusiveMin: 0, max: 1 }));
      c.optional(sv, 'gate', (g) => {
        if (!c.object('encoder.secondView.gate', g, ['file', 'bytes', 'sha256'], ['file', 'bytes', 'sha256'])) return;
        c.optional(g, 'file', (v) => checkFileName(c, 'encoder.secondView.gate.file', v));
        c.optional(g, 'bytes', (v) => c.number('encoder.secondView.gate.bytes', v, { integer: true, min: 1 }));
        c.optional(g, 'sha256', (v) => checkSha(c, 'encoder.secondView.gate.sha256', v));
      });
      // without its own gate file the gate is the bundle's head: an encoder-only bundle has nothing to be unsure with
      if (!('head' in m) && !('gate' in sv)) c.err('encoder.secondView', 'needs the bundle\'s own head or a gate (the second view is for cells a head is unsure of)');
    });
  });

  c.optional(m, 'head', (h) => {
    const keys = ['type', 'classes', 'file', 'bytes', 'sha256', 'trainedOn'];
    if (!c.object('head', h, ['type', 'classes', 'file', 'bytes', 'sha256'], keys)) return;
    c.optional(h, 'type', (v) => {
      if (v !== 'linear-softmax') c.err('head.type', `must be "linear-softmax" (got ${describe(v)})`);
    });
    c.optional(h, 'classes', (v) => {
      if (!c.array('head.classes', v, { min: 2 })) return;
      v.forEach((x, i) => c.string(`head.classes[${i}]`, x, { min: 1, max: 64 }));
      const seen = new Map<unknown, number>();
      v.forEach((x, i) => {
        // uniqueItems: deep equality; classes are strings when valid, so === is enough for them
        const key = typeof x === 'object' && x !== null ? JSON.stringify(x) : x;
        const first = seen.get(key);
        if (first !== undefined) c.err(`head.classes[${i}]`, `duplicates head.classes[${first}] (${describe(x)})`);
        else seen.set(key, i);
      });
    });
    c.optional(h, 'file', (v) => checkFileName(c, 'head.file', v));
    c.optional(h, 'bytes', (v) => c.number('head.bytes', v, { integer: true, min: 1 }));
    c.optional(h, 'sha256', (v) => checkSha(c, 'head.sha256', v));
    c.optional(h, 'trainedOn', (v) => c.string('head.trainedOn', v));
  });

  c.optional(m, 'shift', (h) => {
    if (!c.object('shift', h, ['format', 'file', 'bytes', 'sha256'], ['format', 'file', 'bytes', 'sha256'])) return;
    c.optional(h, 'format', (v) => {
      if (v !== 'dinobloom-shift-stats-v1') c.err('shift.format', `must be "dinobloom-shift-stats-v1" (got ${describe(v)})`);
    });
    c.optional(h, 'file', (v) => checkFileName(c, 'shift.file', v));
    c.optional(h, 'bytes', (v) => c.number('shift.bytes', v, { integer: true, min: 1 }));
    c.optional(h, 'sha256', (v) => checkSha(c, 'shift.sha256', v));
  });

  c.optional(m, 'unidentifiedThreshold', (v) => c.number('unidentifiedThreshold', v, { min: 0, max: 1 }));
  c.optional(m, 'licence', (v) => c.string('licence', v, { min: 1 }));
  c.optional(m, 'citation', (v) => c.string('citation', v, { min: 1 }));
  c.optional(m, 'dataCredit', (v) => c.string('dataCredit', v));
  c.optional(m, 'metrics', (v) => {
    if (!isObject(v)) c.err('metrics', `must be an object (got ${describe(v)})`);
  });
  c.optional(m, 'convertedFrom', (v) => {
    const keys = ['file', 'bytes', 'sha256', 'layout', 'official', 'converter', 'notes'];
    if (!c.object('convertedFrom', v, ['file', 'sha256', 'layout'], keys)) return;
    c.optional(v, 'file', (x) => c.string('convertedFrom.file', x, { min: 1, max: 260 }));
    c.optional(v, 'bytes', (x) => c.number('convertedFrom.bytes', x, { integer: true, min: 0 }));
    c.optional(v, 'sha256', (x) => checkSha(c, 'convertedFrom.sha256', x));
    c.optional(v, 'layout', (x) => c.oneOf('convertedFrom.layout', x, ['zenodo-teacher', 'hf-flat', 'timm-safetensors']));
    c.optional(v, 'official', (x) => c.string('convertedFrom.official', x));
    c.optional(v, 'converter', (x) => c.string('convertedFrom.converter', x));
    c.optional(v, 'notes', (x) => {
      if (c.array('convertedFrom.notes', x)) x.forEach((n, i) => c.string(`convertedFrom.notes[${i}]`, n));
    });
  });

  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, manifest: m as unknown as BundleManifest };
}

export function checkFileName(c: Checker, path: string, v: unknown): void {
  c.string(path, v, {
    pattern: FILE_RE,
    patternMsg: 'must be a plain file name (1-128 characters of A-Z, a-z, 0-9, ".", "_" or "-", no folders)',
  });
}
export function checkSha(c: Checker, path: string, v: unknown): void {
  c.string(path, v, { pattern: SHA_RE, patternMsg: 'must be 64 lowercase hex characters' });
}

function checkVariant(c: Checker, path: string, v: unknown): void {
  const keys = ['precision', 'file', 'bytes', 'sha256', 'backends', 'verification'];
  if (!c.object(path, v, ['precision', 'file', 'bytes', 'sha256', 'backends'], keys)) return;
  c.optional(v, 'precision', (x) => c.oneOf(`${path}.precision`, x, ['fp32', 'fp16', 'int8']));
  c.optional(v, 'file', (x) => checkFileName(c, `${path}.file`, x));
  c.optional(v, 'bytes', (x) => c.number(`${path}.bytes`, x, { integer: true, min: 1 }));
  c.optional(v, 'sha256', (x) => checkSha(c, `${path}.sha256`, x));
  c.optional(v, 'backends', (x) => {
    if (!c.array(`${path}.backends`, x, { min: 1 })) return;
    x.forEach((b, i) => c.oneOf(`${path}.backends[${i}]`, b, ['wasm', 'webgpu']));
  });
  c.optional(v, 'verification', (x) => {
    if (!c.object(`${path}.verification`, x, [], null)) return;
    for (const k of ['maxAbsDiff', 'minCosine', 'meanCosine'] as const) {
      c.optional(x, k, (n) => c.number(`${path}.verification.${k}`, n));
    }
    c.optional(x, 'inputs', (s) => c.string(`${path}.verification.inputs`, s));
  });
}

// ---------------------------------------------------------------------------------------------
// integrity

export class BundleError extends Error {
  /** the bundle file concerned, when there is one */
  readonly file?: string;
  constructor(message: string, file?: string) {
    super(message);
    this.name = 'BundleError';
    if (file !== undefined) this.file = file;
  }
}

function asBytes(data: ArrayBuffer | Uint8Array): Uint8Array<ArrayBuffer> {
  if (data instanceof Uint8Array) {
    // subtle.digest wants an ArrayBuffer-backed view (not SharedArrayBuffer)
    return data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(data);
  }
  return new Uint8Array(data);
}

/** Lowercase hex SHA-256 via WebCrypto (browser, worker and Node ≥ 20). */
export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('crypto.subtle is not available (a secure context is required)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', asBytes(bytes)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Check a downloaded bundle file against its manifest entry. Throws a BundleError naming the file
 * when it is missing, has the wrong size or the wrong sha256.
 */
export async function verifyBundleFile(
  entry: { file: string; bytes: number; sha256: string },
  data: ArrayBuffer | Uint8Array | undefined,
): Promise<void> {
  if (data === undefined || data === null) {
    throw new BundleError(`${entry.file} is missing from the bundle`, entry.file);
  }
  const size = data.byteLength;
  if (size !== entry.bytes) {
    throw new BundleError(
      `${entry.file} has ${size} bytes but the manifest says ${entry.bytes} (incomplete download or wrong file)`,
      entry.file,
    );
  }
  const actual = await sha256Hex(data);
  if (actual !== entry.sha256.toLowerCase()) {
    throw new BundleError(
      `${entry.file} is corrupt or does not match the manifest: sha256 ${actual}, expected ${entry.sha256}`,
      entry.file,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// variant selection

export interface PickVariantOptions {
  /** the WebGPU adapter supports the "shader-f16" feature */
  shaderF16?: boolean;
  /** try this precision first (still only among variants usable on the backend) */
  prefer?: Precision;
}

/**
 * Choose the encoder file for a backend. Only variants listing the backend are considered.
 * wasm: int8, then fp32 (then fp16). webgpu: fp16 only when the adapter has shader-f16, then fp32
 * (then int8). `prefer` moves a usable precision to the front; fp16 on WebGPU still needs
 * shader-f16. Returns undefined when no variant fits.
 */
export function pickVariant(
  manifest: Pick<BundleManifest, 'encoder'>,
  backend: ManifestBackend,
  opts: PickVariantOptions = {},
): EncoderVariant | undefined {
  const f16ok = backend !== 'webgpu' || opts.shaderF16 === true;
  let order: Precision[] = backend === 'wasm' ? ['int8', 'fp32', 'fp16'] : ['fp16', 'fp32', 'int8'];
  if (opts.prefer) order = [opts.prefer, ...order.filter((p) => p !== opts.prefer)];
  for (const precision of order) {
    if (precision === 'fp16' && !f16ok) continue;
    const v = manifest.encoder.variants.find((x) => x.precision === precision && x.backends.includes(backend));
    if (v) return v;
  }
  return undefined;
}

/** ONNX output name of the encoder. */
export function outputName(manifest: Pick<BundleManifest, 'output'>): string {
  return manifest.output?.name ?? DEFAULT_OUTPUT_NAME;
}
