/**
 * Lossless case export/import ("dinobloom-web-case-v1"): one JSON document with the case record and
 * its audit trail, every cell as stored, each cell's image (base64), the class list of every model
 * the cells refer to, and optionally the results JSON of export.ts for readers who only want results.
 *
 * parseCaseArchive checks the structure by hand and returns every problem it finds (up to
 * MAX_ARCHIVE_ERRORS), each naming where it is (e.g. `cells[3].status`). What it returns is a fresh
 * copy holding only the fields of this format (unknown keys are dropped).
 */
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry, type CaseRecord } from './case.ts';
import { classesKey, type Cell, type CellStatus } from './cell.ts';

export const CASE_ARCHIVE_FORMAT = 'dinobloom-web-case-v1';
/** The results export of export.ts: a different document, recognised to give a helpful message. */
const RESULTS_FORMAT = 'dinobloom-web-results-v1';
export const MAX_ARCHIVE_ERRORS = 50;

export interface ArchivedImage {
  type: string;
  base64: string;
}

export interface CaseArchive {
  format: typeof CASE_ARCHIVE_FORMAT;
  exportedAt: string;
  case: CaseRecord;
  cells: Cell[];
  /** cell id → image */
  images: Record<string, ArchivedImage>;
  /** model id → its classes, in the order of the cells' probabilities */
  modelClasses: Record<string, string[]>;
  /** the results JSON of export.ts toJson, embedded for readers who only want results */
  results?: unknown;
}

// ---------------------------------------------------------------------------------------------
// base64, in chunks (btoa/atob exist in browsers and Node ≥ 16; huge strings are never passed whole)

/** Bytes per btoa call: a multiple of 3, so the pieces join without padding in between. */
const ENCODE_CHUNK = 3 * 8192;
/** Characters per atob call: a multiple of 4. */
const DECODE_CHUNK = 4 * 8192;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/u;

export function bytesToBase64(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += ENCODE_CHUNK) {
    const chunk = b.subarray(i, Math.min(b.length, i + ENCODE_CHUNK));
    parts.push(btoa(String.fromCharCode.apply(null, chunk as unknown as number[])));
  }
  return parts.join('');
}

/** Standard base64 (RFC 4648 alphabet, `=` padding, no whitespace) with a length that is a multiple of 4. */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64_RE.test(s);
}

/** Decodes standard base64; throws a SyntaxError on anything else (whitespace included). */
export function base64ToBytes(s: string): Uint8Array {
  if (!isBase64(s)) throw new SyntaxError('Not valid base64 (expected A–Z, a–z, 0–9, +, / with = padding, length a multiple of 4).');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += DECODE_CHUNK) {
    const bin = atob(s.slice(i, i + DECODE_CHUNK));
    for (let j = 0; j < bin.length; j++) out[o++] = bin.charCodeAt(j);
  }
  return out;
}

/** Decoded size of a valid base64 string, without decoding it. */
export function base64ByteLength(s: string): number {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

// ---------------------------------------------------------------------------------------------
// copies

function copyAudit(e: AuditEntry): AuditEntry {
  const out: AuditEntry = { at: e.at, who: e.who, action: e.action };
  if (e.cellId !== undefined) out.cellId = e.cellId;
  if (e.file !== undefined) out.file = e.file;
  if (e.from !== undefined) out.from = e.from;
  if (e.to !== undefined) out.to = e.to;
  if (e.reason !== undefined) out.reason = e.reason;
  if (e.detail !== undefined) out.detail = e.detail;
  return out;
}

function copyCase(c: CaseRecord): CaseRecord {
  return {
    id: c.id,
    sampleId: c.sampleId,
    date: c.date,
    operator: c.operator,
    notes: c.notes,
    createdAt: c.createdAt,
    status: c.status,
    signedBy: c.signedBy,
    signedAt: c.signedAt,
    target: c.target,
    wbcCount: c.wbcCount,
    ...(c.rbcMorphology !== undefined ? { rbcMorphology: c.rbcMorphology } : {}),
    ...(c.plateletMorphology !== undefined ? { plateletMorphology: c.plateletMorphology } : {}),
    audit: c.audit.map(copyAudit),
  };
}

function copyCell(c: Cell): Cell {
  const out: Cell = {
    id: c.id,
    caseId: c.caseId,
    name: c.name,
    bytes: c.bytes,
    addedAt: c.addedAt,
    status: c.status,
    probabilities: c.probabilities ? Array.from(c.probabilities) : null,
    modelId: c.modelId,
    modelVersion: c.modelVersion,
    userClass: c.userClass,
    error: c.error ? { reason: c.error.reason, message: c.error.message } : null,
  };
  if (c.width !== undefined) out.width = c.width;
  if (c.height !== undefined) out.height = c.height;
  if (c.encoderKey !== undefined) out.encoderKey = c.encoderKey;
  if (c.imageHash !== undefined) out.imageHash = c.imageHash;
  if (c.head !== undefined) out.head = c.head ? { id: c.head.id, name: c.head.name, version: c.head.version } : null;
  if (c.shift !== undefined) out.shift = c.shift ? { score: c.shift.score, flagged: c.shift.flagged } : null;
  if (c.framing !== undefined) out.framing = { cellFound: c.framing.cellFound, ...(c.framing.note !== undefined ? { note: c.framing.note } : {}) };
  if (c.secondView !== undefined) out.secondView = c.secondView;
  return out;
}

/** The archive of a case (everything copied; `now` defaults to the current time). */
export function buildCaseArchive(
  c: CaseRecord,
  cells: readonly Cell[],
  images: Record<string, ArchivedImage>,
  modelClasses: Record<string, string[]>,
  results?: unknown,
  now: Date = new Date(),
): CaseArchive {
  const archive: CaseArchive = {
    format: CASE_ARCHIVE_FORMAT,
    exportedAt: now.toISOString(),
    case: copyCase(c),
    cells: cells.map(copyCell),
    images: Object.fromEntries(Object.entries(images).map(([id, img]) => [id, { type: img.type, base64: img.base64 }])),
    modelClasses: Object.fromEntries(Object.entries(modelClasses).map(([id, cls]) => [id, cls.slice()])),
  };
  if (results !== undefined) archive.results = results;
  return archive;
}

// ---------------------------------------------------------------------------------------------
// validation

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/u;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/u;

export function isIsoTime(v: unknown): v is string {
  return typeof v === 'string' && ISO_TIME_RE.test(v) && !Number.isNaN(Date.parse(v));
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = DATE_RE.exec(v);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** A short description of a value for messages: `"abc"`, `12`, `null`, `an array`, `an object`. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

class Problems {
  readonly list: string[] = [];
  private extra = 0;
  add(msg: string): void {
    if (this.list.length < MAX_ARCHIVE_ERRORS) this.list.push(msg);
    else this.extra++;
  }
  get count(): number {
    return this.list.length + this.extra;
  }
  result(): string[] {
    return this.extra > 0 ? [...this.list, `…and ${this.extra} more problem${this.extra === 1 ? '' : 's'}`] : this.list.slice();
  }
}

/** Field readers: each reports a problem (and returns undefined) when the value does not fit. */
class Reader {
  constructor(
    private readonly p: Problems,
    private readonly o: Obj,
    private readonly path: string,
  ) {}

  private bad(key: string, want: string): undefined {
    const at = this.path ? `${this.path}.${key}` : key;
    this.p.add(has(this.o, key) ? `${at} must be ${want} (got ${show(this.o[key])})` : `${at} is missing (expected ${want})`);
    return undefined;
  }

  string(key: string, opts: { nonEmpty?: boolean } = {}): string | undefined {
    const v = this.o[key];
    if (typeof v === 'string' && (!opts.nonEmpty || v.length > 0)) return v;
    return this.bad(key, opts.nonEmpty ? 'a non-empty string' : 'a string');
  }

  stringOrNull(key: string, opts: { nonEmpty?: boolean } = {}): string | null | undefined {
    const v = this.o[key];
    if (v === null) return null;
    if (typeof v === 'string' && (!opts.nonEmpty || v.length > 0)) return v;
    return this.bad(key, opts.nonEmpty ? 'null or a non-empty string' : 'null or a string');
  }

  /** undefined when absent (no problem); the string when it is one; a problem otherwise. */
  optString(key: string): { ok: boolean; value?: string } {
    if (!has(this.o, key) || this.o[key] === undefined) return { ok: true };
    const v = this.o[key];
    if (typeof v === 'string') return { ok: true, value: v };
    this.bad(key, 'a string when present');
    return { ok: false };
  }

  optStringOrNull(key: string): { ok: boolean; value?: string | null } {
    if (!has(this.o, key) || this.o[key] === undefined) return { ok: true };
    const v = this.o[key];
    if (typeof v === 'string' || v === null) return { ok: true, value: v };
    this.bad(key, 'null or a string when present');
    return { ok: false };
  }

  isoTime(key: string): string | undefined {
    const v = this.o[key];
    return isIsoTime(v) ? v : this.bad(key, 'an ISO 8601 date-time such as "2024-05-01T09:30:00.000Z"');
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.o[key];
    if ((allowed as readonly unknown[]).includes(v)) return v as T;
    return this.bad(key, `one of ${allowed.map((a) => (typeof a === 'string' ? `"${a}"` : String(a))).join(', ')}`);
  }

  number(key: string, opts: { min?: number; integer?: boolean } = {}): number | undefined {
    const v = this.o[key];
    if (typeof v === 'number' && Number.isFinite(v) && (opts.min === undefined || v >= opts.min) && (!opts.integer || Number.isInteger(v))) return v;
    const kind = opts.integer ? 'an integer' : 'a finite number';
    return this.bad(key, opts.min === undefined ? kind : `${kind} ≥ ${opts.min}`);
  }
}

function parseAuditEntry(p: Problems, v: unknown, path: string): AuditEntry | undefined {
  if (!isObj(v)) {
    p.add(`${path} must be an object (got ${show(v)})`);
    return undefined;
  }
  const before = p.count;
  const r = new Reader(p, v, path);
  const at = r.isoTime('at');
  const who = r.string('who');
  const action = r.oneOf<AuditAction>('action', AUDIT_ACTIONS);
  const cellId = r.optString('cellId');
  const file = r.optString('file');
  const from = r.optStringOrNull('from');
  const to = r.optStringOrNull('to');
  const reason = r.optString('reason');
  const detail = r.optString('detail');
  if (p.count > before || at === undefined || who === undefined || action === undefined) return undefined;
  const e: AuditEntry = { at, who, action };
  if (cellId.value !== undefined) e.cellId = cellId.value;
  if (file.value !== undefined) e.file = file.value;
  if (from.value !== undefined) e.from = from.value;
  if (to.value !== undefined) e.to = to.value;
  if (reason.value !== undefined) e.reason = reason.value;
  if (detail.value !== undefined) e.detail = detail.value;
  return e;
}

function parseCase(p: Problems, v: unknown): CaseRecord | undefined {
  if (!isObj(v)) {
    p.add(v === undefined ? '"case" is missing' : `"case" must be an object (got ${show(v)})`);
    return undefined;
  }
  const before = p.count;
  const r = new Reader(p, v, 'case');
  const id = r.string('id', { nonEmpty: true });
  const sampleId = r.string('sampleId');
  let date: string | undefined;
  if (v.date === '' || isIsoDate(v.date)) date = v.date as string;
  else p.add(has(v, 'date') ? `case.date must be a date written YYYY-MM-DD, or empty (got ${show(v.date)})` : 'case.date is missing (expected a date written YYYY-MM-DD)');
  const operator = r.string('operator');
  const notes = r.string('notes');
  const rbcMorphology = r.optString('rbcMorphology');
  const plateletMorphology = r.optString('plateletMorphology');
  const createdAt = r.isoTime('createdAt');
  const status = r.oneOf('status', ['open', 'signed'] as const);
  const signedBy = r.stringOrNull('signedBy');
  const signedAt = v.signedAt === null ? null : r.isoTime('signedAt');
  const target = r.oneOf('target', [100, 200] as const);
  let wbcCount: number | null | undefined;
  if (v.wbcCount === null || (typeof v.wbcCount === 'number' && Number.isFinite(v.wbcCount) && v.wbcCount >= 0)) wbcCount = v.wbcCount;
  else p.add(has(v, 'wbcCount') ? `case.wbcCount must be null or a number ≥ 0 (×10⁹/L) (got ${show(v.wbcCount)})` : 'case.wbcCount is missing (expected null or a number ≥ 0)');
  if (status === 'signed') {
    if (signedBy === null || signedBy?.trim() === '') p.add('case.status is "signed" but case.signedBy is empty');
    if (signedAt === null) p.add('case.status is "signed" but case.signedAt is null');
  } else if (status === 'open') {
    if (signedBy !== null && signedBy !== undefined) p.add(`case.status is "open" but case.signedBy is ${show(signedBy)} (expected null)`);
    if (signedAt !== null && signedAt !== undefined) p.add(`case.status is "open" but case.signedAt is ${show(signedAt)} (expected null)`);
  }
  const audit: AuditEntry[] = [];
  if (!Array.isArray(v.audit)) p.add(has(v, 'audit') ? `case.audit must be an array (got ${show(v.audit)})` : 'case.audit is missing (expected an array)');
  else v.audit.forEach((e, i) => {
    const entry = parseAuditEntry(p, e, `case.audit[${i}]`);
    if (entry) audit.push(entry);
  });
  if (
    p.count > before || id === undefined || sampleId === undefined || date === undefined || operator === undefined || notes === undefined ||
    createdAt === undefined || status === undefined || signedBy === undefined || signedAt === undefined || target === undefined || wbcCount === undefined
  ) return undefined;
  const out: CaseRecord = { id, sampleId, date, operator, notes, createdAt, status, signedBy, signedAt, target, wbcCount, audit };
  if (rbcMorphology.value !== undefined) out.rbcMorphology = rbcMorphology.value;
  if (plateletMorphology.value !== undefined) out.plateletMorphology = plateletMorphology.value;
  return out;
}

function parseModelClasses(p: Problems, v: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!isObj(v)) {
    p.add(v === undefined ? '"modelClasses" is missing (expected an object: model id → class names)' : `"modelClasses" must be an object: model id → class names (got ${show(v)})`);
    return out;
  }
  for (const [id, classes] of Object.entries(v)) {
    const path = `modelClasses[${JSON.stringify(id)}]`;
    if (!Array.isArray(classes) || classes.length === 0) {
      p.add(`${path} must be a non-empty array of class names (got ${show(classes)})`);
      continue;
    }
    const seen = new Set<string>();
    let ok = true;
    classes.forEach((c: unknown, i) => {
      if (typeof c !== 'string' || c.length === 0) {
        p.add(`${path}[${i}] must be a non-empty string (got ${show(c)})`);
        ok = false;
      } else if (seen.has(c)) {
        p.add(`${path} lists class ${JSON.stringify(c)} more than once`);
        ok = false;
      } else seen.add(c);
    });
    if (ok) out.set(id, classes.slice() as string[]);
  }
  return out;
}

const CELL_STATUSES: readonly CellStatus[] = ['queued', 'classified', 'error'];

function parseCell(p: Problems, v: unknown, i: number, modelClasses: ReadonlyMap<string, string[]>, caseId: string | undefined): Cell | undefined {
  const path = `cells[${i}]`;
  if (!isObj(v)) {
    p.add(`${path} must be an object (got ${show(v)})`);
    return undefined;
  }
  const before = p.count;
  const r = new Reader(p, v, path);
  const id = r.string('id', { nonEmpty: true });
  const cellCaseId = r.string('caseId', { nonEmpty: true });
  if (cellCaseId !== undefined && caseId !== undefined && cellCaseId !== caseId) {
    p.add(`${path}.caseId ${show(cellCaseId)} is not the id of this case (${show(caseId)})`);
  }
  const name = r.string('name');
  const bytes = r.number('bytes', { min: 0, integer: true });
  const addedAt = r.number('addedAt');
  const status = r.oneOf('status', CELL_STATUSES);
  let width: number | undefined;
  let height: number | undefined;
  if (has(v, 'width') && v.width !== undefined) width = r.number('width', { min: 1, integer: true });
  if (has(v, 'height') && v.height !== undefined) height = r.number('height', { min: 1, integer: true });
  const modelId = r.stringOrNull('modelId', { nonEmpty: true });
  const modelVersion = r.stringOrNull('modelVersion');
  const userClass = r.stringOrNull('userClass', { nonEmpty: true });
  const extras = parseCellExtras(p, v, path);

  let probabilities: number[] | null | undefined;
  const pv = v.probabilities;
  if (pv === null) probabilities = null;
  else if (!Array.isArray(pv)) {
    p.add(has(v, 'probabilities') ? `${path}.probabilities must be null or an array of numbers (got ${show(pv)})` : `${path}.probabilities is missing (expected null or an array of numbers)`);
  } else {
    const bad = pv.findIndex((x: unknown) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1);
    if (bad >= 0) p.add(`${path}.probabilities[${bad}] must be a number from 0 to 1 (got ${show(pv[bad])})`);
    else probabilities = pv.slice() as number[];
    if (pv.length === 0) p.add(`${path}.probabilities is an empty array (expected null or one number per class)`);
    if (modelId === null) p.add(`${path} has probabilities but no modelId, so its classes are unknown`);
    const classes = typeof modelId === 'string' ? modelClasses.get(classesKey(modelId, extras.head)) : undefined;
    if (classes && pv.length !== classes.length) {
      p.add(`${path}.probabilities has ${pv.length} values but model ${JSON.stringify(modelId)} has ${classes.length} classes`);
    }
  }

  let error: Cell['error'] | undefined;
  const ev = v.error;
  if (ev === null) error = null;
  else if (isObj(ev) && typeof ev.reason === 'string' && typeof ev.message === 'string') error = { reason: ev.reason, message: ev.message };
  else {
    p.add(has(v, 'error') ? `${path}.error must be null or { reason: string, message: string } (got ${show(ev)})` : `${path}.error is missing (expected null or { reason, message })`);
  }

  if (
    p.count > before || id === undefined || cellCaseId === undefined || name === undefined || bytes === undefined || addedAt === undefined ||
    status === undefined || modelId === undefined || modelVersion === undefined || userClass === undefined || probabilities === undefined || error === undefined
  ) return undefined;
  const cell: Cell = { id, caseId: cellCaseId, name, bytes, addedAt, status, probabilities, modelId, modelVersion, userClass, error, ...extras };
  if (width !== undefined) cell.width = width;
  if (height !== undefined) cell.height = height;
  return cell;
}

/** The optional fields of newer cells (encoder, image hash, head, shift check, framing, second view); absent ones stay absent. */
function parseCellExtras(p: Problems, v: Record<string, unknown>, path: string): Pick<Cell, 'encoderKey' | 'imageHash' | 'head' | 'shift' | 'framing' | 'secondView'> {
  const out: Pick<Cell, 'encoderKey' | 'imageHash' | 'head' | 'shift' | 'framing' | 'secondView'> = {};
  const r = new Reader(p, v, path);
  if (v.encoderKey !== undefined) out.encoderKey = r.string('encoderKey', { nonEmpty: true });
  if (v.imageHash !== undefined) {
    const h = r.string('imageHash');
    if (h !== undefined && !/^[0-9a-f]{64}$/u.test(h)) p.add(`${path}.imageHash must be 64 lowercase hex characters (a sha256)`);
    else out.imageHash = h;
  }
  if (v.head !== undefined) {
    const h = v.head;
    if (h === null) out.head = null;
    else if (isObj(h) && typeof h.id === 'string' && h.id !== '' && typeof h.name === 'string' && typeof h.version === 'string') out.head = { id: h.id, name: h.name, version: h.version };
    else p.add(`${path}.head must be null or { id, name, version } strings (got ${show(h)})`);
  }
  if (v.shift !== undefined) {
    const s = v.shift;
    if (s === null) out.shift = null;
    else if (isObj(s) && typeof s.score === 'number' && Number.isFinite(s.score) && typeof s.flagged === 'boolean') out.shift = { score: s.score, flagged: s.flagged };
    else p.add(`${path}.shift must be null or { score: number, flagged: boolean } (got ${show(s)})`);
  }
  if (v.framing !== undefined) {
    const f = v.framing;
    if (isObj(f) && typeof f.cellFound === 'boolean' && (f.note === undefined || typeof f.note === 'string')) {
      out.framing = { cellFound: f.cellFound, ...(typeof f.note === 'string' ? { note: f.note } : {}) };
    } else p.add(`${path}.framing must be { cellFound: boolean, note?: string } (got ${show(f)})`);
  }
  if (v.secondView !== undefined) {
    if (typeof v.secondView === 'boolean') out.secondView = v.secondView;
    else p.add(`${path}.secondView must be true or false (got ${show(v.secondView)})`);
  }
  return out;
}

function parseImages(p: Problems, v: unknown, cellIds: ReadonlySet<string>): Record<string, ArchivedImage> {
  const out: Record<string, ArchivedImage> = {};
  if (!isObj(v)) {
    p.add(v === undefined ? '"images" is missing (expected an object: cell id → { type, base64 })' : `"images" must be an object: cell id → { type, base64 } (got ${show(v)})`);
    return out;
  }
  for (const [id, img] of Object.entries(v)) {
    const path = `images[${JSON.stringify(id)}]`;
    if (!cellIds.has(id)) p.add(`${path} is the image of a cell that is not in the archive`);
    if (!isObj(img)) {
      p.add(`${path} must be an object { type, base64 } (got ${show(img)})`);
      continue;
    }
    const before = p.count;
    const r = new Reader(p, img, path);
    const type = r.string('type', { nonEmpty: true });
    const base64 = r.string('base64');
    if (base64 !== undefined && !isBase64(base64)) p.add(`${path}.base64 is not valid base64`);
    if (p.count === before && type !== undefined && base64 !== undefined) {
      Object.defineProperty(out, id, { value: { type, base64 }, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/**
 * Checks a parsed case archive (or its JSON text) and returns a clean copy, or every problem found
 * (at most MAX_ARCHIVE_ERRORS, then a count of the rest).
 */
export function parseCaseArchive(json: unknown): { ok: true; archive: CaseArchive } | { ok: false; errors: string[] } {
  let doc = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (e) {
      return { ok: false, errors: [`Not valid JSON: ${(e as Error).message}`] };
    }
  }
  if (!isObj(doc)) return { ok: false, errors: [`A case archive must be a JSON object (got ${show(doc)})`] };
  const format = doc.format;
  if (format !== CASE_ARCHIVE_FORMAT) {
    let msg: string;
    if (format === undefined) msg = `Not a DinoBloom Web case archive: there is no "format" field (expected "${CASE_ARCHIVE_FORMAT}")`;
    else if (format === RESULTS_FORMAT) msg = `This is a results export ("${RESULTS_FORMAT}"), not a case archive: it has no images or audit trail to restore. Export the case itself ("${CASE_ARCHIVE_FORMAT}").`;
    else if (typeof format === 'string' && format.startsWith('dinobloom-web-case-')) msg = `Case archive format ${show(format)} is not supported by this version (it reads "${CASE_ARCHIVE_FORMAT}")`;
    else msg = `Unknown format ${show(format)}: not a DinoBloom Web case archive (expected "${CASE_ARCHIVE_FORMAT}")`;
    return { ok: false, errors: [msg] };
  }

  const p = new Problems();
  const exportedAt = new Reader(p, doc, '').isoTime('exportedAt');
  const modelClasses = parseModelClasses(p, doc.modelClasses);
  const c = parseCase(p, doc.case);
  const caseId = isObj(doc.case) && typeof doc.case.id === 'string' && doc.case.id !== '' ? doc.case.id : undefined;

  const cells: Cell[] = [];
  const ids = new Set<string>();
  if (!Array.isArray(doc.cells)) {
    p.add(doc.cells === undefined ? '"cells" is missing (expected an array)' : `"cells" must be an array (got ${show(doc.cells)})`);
  } else {
    doc.cells.forEach((v, i) => {
      const cell = parseCell(p, v, i, modelClasses, caseId);
      const id = isObj(v) && typeof v.id === 'string' && v.id !== '' ? v.id : undefined;
      if (id !== undefined) {
        if (ids.has(id)) p.add(`cells[${i}].id ${show(id)} is used by more than one cell`);
        ids.add(id);
      }
      if (cell) cells.push(cell);
    });
  }
  const images = parseImages(p, doc.images, ids);

  if (p.count > 0 || exportedAt === undefined || !c) return { ok: false, errors: p.result() };
  const archive: CaseArchive = {
    format: CASE_ARCHIVE_FORMAT,
    exportedAt,
    case: c,
    cells,
    images,
    modelClasses: Object.fromEntries(modelClasses),
  };
  if (has(doc, 'results') && doc.results !== undefined) archive.results = doc.results;
  return { ok: true, archive };
}
