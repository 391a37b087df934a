/**
 * Shared Node-side code for the CLI tools (embed, train-head, evaluate): argument parsing, dataset
 * listing (the app's labelled-folder rules, src/core/training/labelledFolder.ts), image decoding
 * (the app's sniffing and size limits, then sharp, or tools/cli/bmp.ts for BMP), bundle loading
 * (manifest validation, sha256 check, onnxruntime-node session), batched embedding with a progress
 * bar, and the embeddings file (format: src/core/training/embeddingsFile.ts, shared with the app).
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { parseHeadJson, type LinearHead } from '../../src/core/head.ts';
import { checkDimensions, sniffImage } from '../../src/core/imageSniff.ts';
import {
  keepSecondViewGate,
  outputName,
  pickVariant,
  validateManifest,
  verifyBundleFile,
  type BundleManifest,
  type EncoderVariant,
  type Precision,
} from '../../src/core/manifest.ts';
import { preprocess, specFromInput, type PreprocessSpec, type RasterImage } from '../../src/core/preprocess.ts';
import { embedWithSecondView, type SecondViewPolicy } from '../../src/core/secondView.ts';
import {
  decodeEmbeddingsFile,
  encodeEmbeddingsFile,
  EmbeddingsFileError,
  type EmbeddingHeader,
  type EmbeddingsFile,
} from '../../src/core/training/embeddingsFile.ts';
import { IMAGE_EXTENSIONS, isHiddenPath, listLabelledFolder, type SkippedFile } from '../../src/core/training/labelledFolder.ts';
import { decodeBmp } from './bmp.ts';

export { EMBEDDINGS_MAGIC, type EmbeddingHeader, type EmbeddingsFile } from '../../src/core/training/embeddingsFile.ts';

// ---------------------------------------------------------------------------------------------
// CLI helpers

export class CliError extends Error {}

/** Run a CLI main(), printing CliError / BundleError messages without a stack trace. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => {
      process.exitCode = process.exitCode ?? 0;
    },
    (err: unknown) => {
      if (err instanceof Error && (err instanceof CliError || err.name === 'BundleError' || err.name === 'HeadError')) {
        process.stderr.write(`error: ${err.message}\n`);
      } else {
        process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
      process.exitCode = 1;
    },
  );
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with `--help`, unknown-option errors turned into CliError and usage text. */
export function cliArgs<O extends Options>(argv: string[], options: O, usage: string) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${usage}`);
  }
}

export function intArg(v: string | undefined, name: string, def: number, min = 1): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min} (got ${v})`);
  return n;
}
export function numArg(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${name} must be a positive number (got ${v})`);
  return n;
}
export function precisionArg(v: string | undefined): Precision | undefined {
  if (v === undefined) return undefined;
  if (v !== 'int8' && v !== 'fp32' && v !== 'fp16') throw new CliError(`--precision must be int8, fp32 or fp16 (got ${v})`);
  return v;
}

/** Write a file atomically (temp file + rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------------------------
// progress bar

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Progress bar on stderr: count, %, cells/s, ETA. Redraws in place on a TTY, else a line every 5 s. */
export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private last = 0;
  private drawnAt = -1;
  private readonly tty = process.stderr.isTTY === true;
  constructor(
    private readonly total: number,
    private readonly label = 'embedding',
  ) {}

  tick(n = 1): void {
    this.done += n;
    const now = performance.now();
    if (this.done < this.total && now - this.last < (this.tty ? 100 : 5000)) return;
    this.last = now;
    this.draw(now);
  }

  private draw(now: number): void {
    if (this.drawnAt === this.done) return;
    this.drawnAt = this.done;
    const el = (now - this.start) / 1000;
    const rate = el > 0 ? this.done / el : 0;
    const frac = this.total > 0 ? this.done / this.total : 1;
    const width = 28;
    const fill = Math.round(frac * width);
    const bar = `${'#'.repeat(fill)}${'.'.repeat(width - fill)}`;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const line =
      `${this.label} [${bar}] ${this.done}/${this.total} ${(frac * 100).toFixed(0).padStart(3)}%  ` +
      `${rate.toFixed(1)} cells/s  elapsed ${fmtDuration(el)}  ETA ${fmtDuration(eta)}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  finish(): void {
    this.draw(performance.now());
    if (this.tty) process.stderr.write('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// dataset listing

export interface DatasetItem {
  /** path relative to the dataset folder, e.g. "basophil/BA_1.jpg" */
  file: string;
  path: string;
  label: number;
}

export interface Dataset {
  root: string;
  classes: string[];
  items: DatasetItem[];
  /** files that are not images the app reads, with the reason */
  skipped: SkippedFile[];
  /** how the folder was read (nesting, hidden files…), as the app says it */
  messages: string[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function addTo(m: Map<string, string[]>, key: string, value: string): void {
  const list = m.get(key);
  if (list) list.push(value);
  else m.set(key, [value]);
}

/** Every file under `dir`, as paths relative to it ('/'-separated), hidden folders not entered. */
function walk(dir: string, prefix = ''): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const st = e.isSymbolicLink() ? statSync(join(dir, e.name), { throwIfNoEntry: false }) : e; // follow links
    if (st?.isDirectory()) {
      if (!isHiddenPath([e.name])) out.push(...walk(join(dir, e.name), rel));
      else out.push({ path: `${rel}/.`, size: 0 }); // counted as hidden
    } else if (st?.isFile()) {
      out.push({ path: rel, size: statSync(join(dir, e.name)).size });
    }
  }
  return out;
}

/**
 * List a labelled image folder with the app's rules (one sub-folder per class, deeper folders read
 * as their top folder's class, hidden files skipped, non-images listed). When the folder has no
 * sub-folders, flat `<root>/<class>__<name>.<ext>` files are read instead (like e2e/fixtures/pbc).
 * Classes and files are sorted by name. `limit` keeps at most that many images in total, taken
 * round-robin across classes so that every class is represented.
 */
export function listDataset(root: string, limit?: number): Dataset {
  const abs = resolve(root);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new CliError(`data folder not found: ${root}`);
  const entries = walk(abs);
  const perClass = new Map<string, string[]>();
  let skipped: SkippedFile[] = [];
  let messages: string[] = [];
  const flat = entries.every((e) => !e.path.includes('/'));
  if (flat) {
    entries.forEach((e, index) => {
      const name = e.path;
      const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
      const i = name.indexOf('__');
      if (isHiddenPath([name])) return;
      if (!IMAGE_EXTENSIONS.has(ext) || i <= 0) {
        skipped.push({ index, path: name, reason: 'not-an-image', message: i <= 0 ? 'Not named <class>__<name> in a folder without class sub-folders.' : `Not an image file (.${ext}).` });
        return;
      }
      const cls = name.slice(0, i);
      addTo(perClass, cls, name);
    });
    for (const list of perClass.values()) list.sort(byName);
  } else {
    const listing = listLabelledFolder(entries);
    for (const f of listing.files) addTo(perClass, f.className, f.path);
    skipped = listing.skipped;
    messages = listing.messages;
  }
  const classes = [...perClass.keys()].sort(byName);
  if (classes.length === 0) {
    const why = skipped.length ? `; skipped: ${skipped.slice(0, 5).map((s) => `${s.path} (${s.message})`).join('; ')}${skipped.length > 5 ? ` and ${skipped.length - 5} more` : ''}` : '';
    throw new CliError(`no images found in ${root} (expected <class>/<image> folders or <class>__<name> files)${why}`);
  }
  const lists = classes.map((c) => perClass.get(c)!);
  const items: DatasetItem[] = [];
  if (limit !== undefined) {
    for (let r = 0; items.length < limit; r++) {
      let added = false;
      for (let c = 0; c < classes.length && items.length < limit; c++) {
        const f = lists[c]![r];
        if (f === undefined) continue;
        items.push({ file: f, path: join(abs, f), label: c });
        added = true;
      }
      if (!added) break;
    }
    items.sort((a, b) => a.label - b.label || byName(a.file, b.file));
  } else {
    lists.forEach((files, c) => files.forEach((f) => items.push({ file: f, path: join(abs, f), label: c })));
  }
  return { root: abs, classes, items, skipped, messages };
}

// ---------------------------------------------------------------------------------------------
// decoding

/**
 * Decode an image file to interleaved 8-bit sRGB: EXIF orientation applied, alpha dropped, grey and
 * CMYK converted to sRGB. (PIL's plain `Image.open(...).convert('RGB')` ignores EXIF orientation;
 * PBC crops carry none, so this only matters for phone pictures.)
 */
/**
 * CMYK JPEGs the way PIL converts them (its plain formula, not a colour profile), so the Node
 * pipeline stays equal to the Python reference; sharp's default would go through an ICC profile.
 */
async function decodeCmykLikePil(path: string | Buffer): Promise<RasterImage> {
  const { data, info } = await sharp(path).rotate().pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const nk = 255 - data[i * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = data[i * 4 + c]! * nk + 128;
      out[i * 3 + c] = Math.min(255, Math.max(0, nk - (((t >> 8) + t) >> 8)));
    }
  }
  return { width: info.width, height: info.height, channels: 3, data: out };
}

/**
 * Decode what the app decodes, refusing what it refuses with the app's messages: the file is sniffed
 * first (src/core/imageSniff.ts: empty, not an image, TIFF/HEIC/SVG, truncated, too large or small).
 */
export async function decodeImage(path: string | Buffer): Promise<RasterImage> {
  const bytes = typeof path === 'string' ? readFileSync(path) : path;
  const sniff = sniffImage(bytes, bytes.length);
  if (!sniff.ok) throw new Error(sniff.message);
  if (sniff.width !== undefined && sniff.height !== undefined) {
    const dims = checkDimensions(sniff.width, sniff.height);
    if (dims) throw new Error(dims.message);
  }
  if (sniff.format === 'bmp') return decodeBmp(bytes);
  const img = await decodeWithSharp(bytes).catch((e: unknown) => {
    throw new Error(`Corrupt ${sniff.format.toUpperCase()}: ${(e as Error).message}`);
  });
  const dims = checkDimensions(img.width, img.height);
  if (dims) throw new Error(dims.message);
  return img;
}

async function decodeWithSharp(path: Buffer): Promise<RasterImage> {
  if ((await sharp(path).metadata()).space === 'cmyk') return decodeCmykLikePil(path);
  const { data, info } = await sharp(path, { failOn: 'error' })
    .rotate()
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
  return {
    width: info.width,
    height: info.height,
    channels: 3,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

// ---------------------------------------------------------------------------------------------
// bundle

export function readManifest(dir: string): BundleManifest {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new CliError(`no manifest.json in ${dir}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const r = validateManifest(json);
  if (!r.ok) throw new CliError(`${file} is invalid:\n  ${r.errors.join('\n  ')}`);
  return r.manifest;
}

async function readVerified(dir: string, entry: { file: string; bytes: number; sha256: string }): Promise<Buffer> {
  const path = join(dir, entry.file);
  const data = existsSync(path) ? readFileSync(path) : undefined;
  await verifyBundleFile(entry, data);
  return data!;
}

export interface LoadedEncoder {
  dir: string;
  manifest: BundleManifest;
  variant: EncoderVariant;
  session: ort.InferenceSession;
  spec: PreprocessSpec;
  inputName: string;
  outputName: string;
  /** manifest encoder.secondView and its gate (its gate file, else the bundle's own head); null: one pass per cell */
  secondView: { policy: SecondViewPolicy; gate: LinearHead } | null;
  /** cells embedded, and how many of them got the second view */
  counts: { cells: number; secondView: number };
}

/**
 * Pick the encoder variant (`precision` if given, else what the wasm backend would use: int8, then
 * fp32), verify its size and sha256, and create an onnxruntime-node CPU session.
 */
export async function loadEncoder(dir: string, opts: { precision?: Precision; threads?: number } = {}): Promise<LoadedEncoder> {
  const manifest = readManifest(dir);
  const variant = opts.precision
    ? manifest.encoder.variants.find((v) => v.precision === opts.precision)
    : pickVariant(manifest, 'wasm');
  if (!variant) {
    const have = manifest.encoder.variants.map((v) => v.precision).join(', ');
    throw new CliError(`bundle ${manifest.id} has no ${opts.precision ?? 'wasm-compatible'} encoder (it has: ${have})`);
  }
  const bytes = await readVerified(dir, variant);
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
  });
  const outName = outputName(manifest);
  if (!session.inputNames.includes(manifest.input.name)) {
    throw new CliError(`${variant.file} has no input "${manifest.input.name}" (inputs: ${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes(outName)) {
    throw new CliError(`${variant.file} has no output "${outName}" (outputs: ${session.outputNames.join(', ')})`);
  }
  const policy = manifest.encoder.secondView;
  return {
    dir,
    manifest,
    variant,
    session,
    spec: specFromInput(manifest.input),
    inputName: manifest.input.name,
    outputName: outName,
    secondView: policy ? { policy, gate: await loadSecondViewGate(dir, manifest) } : null,
    counts: { cells: 0, secondView: 0 },
  };
}

/** The head that decides encoder.secondView: its own gate file when the manifest names one, else the bundle's head. */
async function loadSecondViewGate(dir: string, manifest: BundleManifest): Promise<LinearHead> {
  const gate = manifest.encoder.secondView?.gate;
  if (!gate) return loadHead(dir, manifest);
  const data = await readVerified(dir, gate);
  try {
    return parseHeadJson(JSON.parse(data.toString('utf8')), undefined, manifest.embeddingDim);
  } catch (e) {
    throw new CliError(`${gate.file} (the second view's gate) is not a valid head: ${(e as Error).message}`);
  }
}

/** Read, verify and parse the bundle's head (throws CliError when the bundle has none). */
export async function loadHead(dir: string, manifest: BundleManifest): Promise<LinearHead> {
  if (!manifest.head) throw new CliError(`bundle ${manifest.id} has no head (run npm run train-head first)`);
  const data = await readVerified(dir, manifest.head);
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new CliError(`${manifest.head.file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseHeadJson(json, manifest.head.classes, manifest.embeddingDim);
}

/**
 * The embeddings of already preprocessed inputs (n × 3 × size × size), n × D: one encoder pass, plus the
 * bundle's second view for the cells its head is unsure of (src/core/secondView.ts, as in the app's worker).
 */
export async function runEncoder(enc: LoadedEncoder, input: Float32Array, n: number): Promise<Float32Array> {
  const sv = enc.secondView;
  const r = await embedWithSecondView((x, k) => runEncoderOnce(enc, x, k), input, n, enc.spec.size, enc.manifest.embeddingDim, sv?.policy, sv?.gate ?? null);
  enc.counts.cells += n;
  enc.counts.secondView += r.secondView.length;
  return r.embeddings;
}

/** One encoder pass on preprocessed inputs (n × 3 × size × size). Returns n × D. */
export async function runEncoderOnce(enc: LoadedEncoder, input: Float32Array, n: number): Promise<Float32Array> {
  const s = enc.spec.size;
  const tensor = new ort.Tensor('float32', input.subarray(0, n * 3 * s * s), [n, 3, s, s]);
  const out = await enc.session.run({ [enc.inputName]: tensor });
  const t = out[enc.outputName];
  if (!t) throw new Error(`encoder returned no "${enc.outputName}"`);
  const D = enc.manifest.embeddingDim;
  if (t.dims.length !== 2 || t.dims[0] !== n || t.dims[1] !== D) {
    throw new Error(`encoder output has shape [${t.dims.join(', ')}], expected [${n}, ${D}]`);
  }
  return new Float32Array(t.data as Float32Array);
}

export interface EmbedResult {
  embeddings: Float32Array;
  /** indices (into the given items) that were embedded, in order; failed decodes are left out */
  kept: number[];
  failures: { file: string; error: string }[];
}

/**
 * Decode, preprocess and embed images in batches. Decoding of the next batch overlaps inference
 * of the current one. Files that fail to decode are reported and skipped.
 */
export async function embedFiles(
  enc: LoadedEncoder,
  files: { path: string; file: string }[],
  opts: { batch?: number; progress?: Progress; decode?: (path: string) => Promise<RasterImage> } = {},
): Promise<EmbedResult> {
  const batch = Math.max(1, opts.batch ?? 16);
  const decode = opts.decode ?? decodeImage;
  const s = enc.spec.size;
  const per = 3 * s * s;
  const D = enc.manifest.embeddingDim;
  const out = new Float32Array(files.length * D);
  const input = new Float32Array(batch * per);
  const kept: number[] = [];
  const failures: EmbedResult['failures'] = [];

  const decodeBatch = (start: number) =>
    Promise.all(
      files.slice(start, start + batch).map((f) =>
        decode(f.path).then(
          (img) => ({ ok: true as const, img }),
          (e: unknown) => ({ ok: false as const, error: e instanceof Error ? e.message : String(e) }),
        ),
      ),
    );

  let next = files.length > 0 ? decodeBatch(0) : null;
  let rows = 0;
  for (let start = 0; start < files.length; start += batch) {
    const decoded = await next!;
    next = start + batch < files.length ? decodeBatch(start + batch) : null;
    const idx: number[] = [];
    decoded.forEach((d, j) => {
      const i = start + j;
      if (!d.ok) {
        failures.push({ file: files[i]!.file, error: d.error });
        return;
      }
      preprocess(d.img, enc.spec, input, idx.length * per);
      idx.push(i);
    });
    if (idx.length > 0) {
      const emb = await runEncoder(enc, input, idx.length);
      out.set(emb, rows * D);
      rows += idx.length;
      kept.push(...idx);
    }
    opts.progress?.tick(decoded.length);
  }
  opts.progress?.finish();
  return { embeddings: out.subarray(0, rows * D), kept, failures };
}

// ---------------------------------------------------------------------------------------------
// embeddings file (the format lives in src/core/training/embeddingsFile.ts)

export function encodeEmbeddings(f: EmbeddingsFile): Uint8Array {
  return encodeEmbeddingsFile(f);
}

export function decodeEmbeddings(buf: Uint8Array, name = 'embeddings file'): EmbeddingsFile {
  try {
    return decodeEmbeddingsFile(buf, name);
  } catch (e) {
    if (e instanceof EmbeddingsFileError) throw new CliError(e.message);
    throw e;
  }
}

export function readEmbeddings(path: string): EmbeddingsFile {
  if (!existsSync(path)) throw new CliError(`embeddings file not found: ${path}`);
  return decodeEmbeddings(readFileSync(path), basename(path));
}

export function writeEmbeddings(path: string, f: EmbeddingsFile): void {
  writeFileAtomic(path, encodeEmbeddings(f));
}

/**
 * Embed a labelled folder with a loaded encoder: the whole pipeline behind `npm run embed` (also
 * used by `evaluate --data`).
 */
export async function embedDataset(
  enc: LoadedEncoder,
  dataDir: string,
  opts: { batch?: number; limit?: number; label?: string; quiet?: boolean; decode?: (path: string) => Promise<RasterImage> } = {},
): Promise<EmbeddingsFile> {
  const ds = listDataset(dataDir, opts.limit);
  for (const m of ds.messages) process.stderr.write(`note: ${m}\n`);
  for (const f of ds.skipped) process.stderr.write(`warning: skipped ${f.path}: ${f.message}\n`);
  const progress = opts.quiet ? undefined : new Progress(ds.items.length, opts.label ?? 'embedding');
  const res = await embedFiles(enc, ds.items, { batch: opts.batch, progress, decode: opts.decode });
  for (const f of res.failures) process.stderr.write(`warning: skipped ${f.file}: ${f.error}\n`);
  if (res.kept.length === 0) {
    const all = [...ds.skipped.map((s) => `${s.path}: ${s.message}`), ...res.failures.map((f) => `${f.file}: ${f.error}`)];
    throw new CliError(
      `no usable image in ${dataDir}: all ${all.length} file${all.length === 1 ? '' : 's'} skipped:\n  ${all.slice(0, 20).join('\n  ')}` +
        (all.length > 20 ? `\n  … and ${all.length - 20} more` : ''),
    );
  }
  const items = res.kept.map((i) => ds.items[i]!);
  const lost = ds.classes.filter((_, c) => !items.some((it) => it.label === c));
  if (lost.length) process.stderr.write(`warning: no usable image left for ${lost.join(', ')}\n`);
  return {
    header: {
      format: 'dinobloom-embeddings',
      version: 1,
      n: items.length,
      d: enc.manifest.embeddingDim,
      dtype: 'float32',
      labelDtype: 'int32',
      classes: ds.classes,
      files: items.map((it) => it.file),
      bundleId: enc.manifest.id,
      bundleVersion: enc.manifest.version,
      precision: enc.variant.precision,
      encoderFile: enc.variant.file,
      encoderSha256: enc.variant.sha256,
      inputSize: enc.spec.size,
      data: dataDir,
      createdAt: new Date().toISOString(),
    },
    embeddings: res.embeddings,
    labels: Int32Array.from(items, (it) => it.label),
  };
}

/**
 * Write an updated manifest object to <dir>/manifest.json: validated before writing, re-read and
 * validated after, and `original` (the file's text before) restored if what is on disk is invalid.
 */
export function writeManifestChecked(dir: string, original: string, updated: Record<string, unknown>): void {
  const check = validateManifest(updated);
  if (!check.ok) throw new CliError(`updated manifest would be invalid:\n  ${check.errors.join('\n  ')}`);
  const manifestPath = join(dir, 'manifest.json');
  writeFileAtomic(manifestPath, `${JSON.stringify(updated, null, 2)}\n`);
  const reread = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  if (!reread.ok) {
    writeFileAtomic(manifestPath, original);
    throw new CliError(`manifest invalid after writing (restored the original):\n  ${reread.errors.join('\n  ')}`);
  }
}

/**
 * Before a bundle's head file is replaced (train-head, calibrate-head --write): when that head is the
 * second view's gate, it is copied (sha256-checked) to its own gate file first, and the manifest object
 * returned names it, so the new head classifies but the cells looked at twice, and so the embeddings,
 * stay those of the bundle as it was. Any other manifest comes back unchanged.
 */
export async function keepGateFile(dir: string, manifest: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { manifest: kept, copy } = keepSecondViewGate(manifest as unknown as BundleManifest);
  if (!copy) return manifest;
  const head = (manifest as unknown as BundleManifest).head!;
  const data = await readVerified(dir, head);
  writeFileAtomic(join(dir, copy.to), data);
  process.stderr.write(`kept ${copy.from} as ${copy.to}: the second view's gate stays the head the bundle came with\n`);
  return kept as unknown as Record<string, unknown>;
}

/** Relative path for messages. */
export function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}
