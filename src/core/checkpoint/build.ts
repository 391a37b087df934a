/**
 * Builds the encoder .onnx files of a checkpoint from the size's templates: each file streams into a
 * Blob (flushed every few MB, so the bytes leave the JS heap: a browser keeps large Blobs outside the
 * page's memory) while its sha256 is computed on the way. Runs in the conversion worker and in Node.
 */
import { FiniteCheck, type LoadedCheckpoint } from './layout.ts';
import { Sha256 } from './sha256.ts';
import { fillTemplate, type ByteSink, type OnnxTemplate } from './template.ts';

const FLUSH_BYTES = 16 << 20;

/** Collects bytes into a Blob in parts, hashing them as they pass (unless the caller hashes the Blob later). */
export class BlobSink implements ByteSink {
  private readonly parts: Blob[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly hash: Sha256 | null;
  bytes = 0;

  constructor(opts: { hash?: boolean } = {}) {
    this.hash = opts.hash === false ? null : new Sha256();
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.hash?.update(bytes);
    // kept by reference until the flush copies it into a Blob: callers never reuse a buffer they wrote
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.bytes += bytes.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pending.length) this.parts.push(new Blob(this.pending as Uint8Array<ArrayBuffer>[]));
    this.pending = [];
    this.pendingBytes = 0;
  }

  finish(type = 'application/octet-stream'): BuiltFile {
    this.flush();
    return { blob: new Blob(this.parts, { type }), bytes: this.bytes, ...(this.hash ? { sha256: this.hash.hex() } : {}) };
  }
}

export interface BuiltFile {
  blob: Blob;
  /** absent when built with `hash: false` (the caller hashes the bytes it reads back anyway) */
  sha256?: string;
  bytes: number;
}

export interface BuildOptions {
  /** hash while building (default true) */
  hash?: boolean;
  onProgress?(fraction: number): void;
  /** throws to cancel (checked between tensors) */
  checkpoint?(): void;
  /** where the time went (ms), accumulated */
  stats?: { readMs: number; encodeMs: number; writeMs: number };
}

function checkTemplateFits(ck: LoadedCheckpoint, tpl: OnnxTemplate): void {
  const h = tpl.header;
  const c = ck.config;
  if (h.dim !== c.dim || h.depth !== c.depth || h.numHeads !== c.numHeads || h.patchSize !== c.patchSize || h.imgSize !== c.imgSize) {
    throw new Error(`template for D=${h.dim}, ${h.depth} blocks, ${h.numHeads} heads does not fit ${ck.variant}`);
  }
}

/**
 * One encoder file. With `finite`, every tensor read is also checked for NaN/Inf (the first file
 * built reads every weight, so that is where the check goes).
 */
export async function buildEncoder(ck: LoadedCheckpoint, tpl: OnnxTemplate, opts: BuildOptions & { finite?: FiniteCheck } = {}): Promise<BuiltFile> {
  checkTemplateFits(ck, tpl);
  const sink = new BlobSink({ hash: opts.hash });
  await fillTemplate(tpl, sink, {
    async tensor(key) {
      const t = ck.tensors.get(key);
      if (!t) throw new Error(`the checkpoint has no ${key}`);
      const v = await t.read();
      opts.finite?.check(key, v);
      return v;
    },
    onProgress: (written, total) => opts.onProgress?.(written / total),
    checkpoint: opts.checkpoint,
    ...(opts.stats ? { stats: opts.stats } : {}),
  });
  return sink.finish();
}

/** The NaN/Inf check over the tensors no template reads (mask_token), then the verdict. */
export async function finishFiniteCheck(ck: LoadedCheckpoint, tpl: OnnxTemplate, finite: FiniteCheck): Promise<void> {
  const used = new Set(tpl.header.holes.map((h) => h.key));
  for (const [key, t] of ck.tensors) if (!used.has(key)) finite.check(key, await t.read());
  finite.throwIfAny();
}
