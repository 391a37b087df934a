/**
 * The built-in reference set: a small, credited set of labelled PBC crops (public/reference-set/, made
 * by tools/fixtures/make_reference_set.py) so that a lab with only the DinoBloom weights can train a
 * head at once. It is not precached: `loadReferenceSet` downloads it on demand and checks every file's
 * size and sha256 against index.json. Pure (fetch is injected): runs in the page, a worker and Node.
 */
import { sha256Hex } from './manifest.ts';

/** Path of the set under the app's base URL. */
export const REFERENCE_SET_PATH = 'reference-set/';

export interface ReferenceSetFile {
  /** relative to the set's folder, e.g. "basophil/BA_12345.jpg" */
  file: string;
  class: string;
  bytes: number;
  sha256: string;
}

export interface ReferenceSetIndex {
  format: 1;
  name: string;
  classes: string[];
  licence: string;
  /** the citation to show wherever the images are used */
  credit: string;
  source: string;
  files: ReferenceSetFile[];
}

export interface LabelledBlob {
  file: string;
  label: string;
  blob: Blob;
}

export class ReferenceSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceSetError';
  }
}

const FILE_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/u;
const SHA_RE = /^[0-9a-f]{64}$/u;

/** Validates a parsed index.json; every problem is named. */
export function parseReferenceIndex(json: unknown): ReferenceSetIndex {
  const errors: string[] = [];
  const o = json as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ReferenceSetError('reference set index.json is not an object');
  if (o.format !== 1) errors.push(`format must be 1 (got ${JSON.stringify(o.format)})`);
  for (const k of ['name', 'licence', 'credit', 'source'] as const) {
    if (typeof o[k] !== 'string' || !(o[k] as string).trim()) errors.push(`${k} must be a non-empty string`);
  }
  const classes = Array.isArray(o.classes) ? (o.classes as unknown[]) : [];
  if (!Array.isArray(o.classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string' && c.length > 0)) {
    errors.push('classes must list at least two class names');
  } else if (new Set(classes).size !== classes.length) errors.push('classes has duplicates');
  const files = Array.isArray(o.files) ? (o.files as unknown[]) : [];
  if (!Array.isArray(o.files) || files.length === 0) errors.push('files must be a non-empty list');
  const seen = new Set<string>();
  files.forEach((f, i) => {
    const e = f as Record<string, unknown>;
    if (typeof f !== 'object' || f === null) return void errors.push(`files[${i}] is not an object`);
    if (typeof e.file !== 'string' || !FILE_RE.test(e.file) || e.file.includes('..')) errors.push(`files[${i}].file is not a plain relative path`);
    else if (seen.has(e.file)) errors.push(`files[${i}].file ${e.file} is listed twice`);
    else seen.add(e.file);
    if (typeof e.class !== 'string' || !classes.includes(e.class)) errors.push(`files[${i}].class ${JSON.stringify(e.class)} is not one of classes`);
    if (typeof e.bytes !== 'number' || !Number.isInteger(e.bytes) || e.bytes < 1) errors.push(`files[${i}].bytes must be a positive integer`);
    if (typeof e.sha256 !== 'string' || !SHA_RE.test(e.sha256)) errors.push(`files[${i}].sha256 must be 64 lowercase hex characters`);
  });
  for (const c of classes) if (typeof c === 'string' && !files.some((f) => (f as ReferenceSetFile)?.class === c)) errors.push(`class ${c} has no files`);
  if (errors.length) throw new ReferenceSetError(`reference set index.json is invalid: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? `; … (${errors.length} problems)` : ''}`);
  return json as ReferenceSetIndex;
}

/** Files per class, in the index's class order. */
export function classCounts(index: ReferenceSetIndex): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(index.classes.map((c) => [c, 0]));
  for (const f of index.files) out[f.class]!++;
  return out;
}

export interface LoadReferenceSetOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  /** parallel downloads (default 6) */
  concurrency?: number;
}

/**
 * Downloads index.json and every crop of the set at `baseUrl` (a folder URL ending in /), checks size
 * and sha256, and returns the crops as labelled Blobs in index order. Any missing or altered file is
 * an error naming it; an AbortSignal stops it.
 */
export async function loadReferenceSet(baseUrl: string, opts: LoadReferenceSetOptions = {}): Promise<{ index: ReferenceSetIndex; items: LabelledBlob[] }> {
  const get = opts.fetch ?? fetch;
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const fetchOk = async (url: string, what: string): Promise<Response> => {
    let res: Response;
    try {
      res = await get(url, { signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new ReferenceSetError(`Could not download the reference set's ${what} (${(e as Error).message}); it needs a connection the first time.`);
    }
    if (!res.ok) throw new ReferenceSetError(`The reference set's ${what} is missing (HTTP ${res.status}).`);
    return res;
  };
  let json: unknown;
  try {
    json = await (await fetchOk(`${base}index.json`, 'index.json')).json();
  } catch (e) {
    if (e instanceof ReferenceSetError || opts.signal?.aborted) throw e;
    throw new ReferenceSetError('The reference set\'s index.json is not valid JSON.');
  }
  const index = parseReferenceIndex(json);
  const items: LabelledBlob[] = new Array(index.files.length);
  let next = 0;
  let done = 0;
  opts.onProgress?.(0, index.files.length);
  const worker = async (): Promise<void> => {
    for (let i = next++; i < index.files.length; i = next++) {
      const f = index.files[i]!;
      const data = new Uint8Array(await (await fetchOk(new URL(f.file, base).href, f.file)).arrayBuffer());
      if (data.length !== f.bytes) throw new ReferenceSetError(`Reference set file ${f.file} has ${data.length} bytes, index.json says ${f.bytes}.`);
      if ((await sha256Hex(data)) !== f.sha256) throw new ReferenceSetError(`Reference set file ${f.file} does not match its sha256 in index.json.`);
      items[i] = { file: f.file, label: f.class, blob: new Blob([data], { type: 'image/jpeg' }) };
      opts.onProgress?.(++done, index.files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 6) }, worker));
  return { index, items };
}
