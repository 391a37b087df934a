/**
 * The checkpoint conversion worker's engine: a DinoBloom checkpoint File → a verified encoder bundle
 * (manifest + fp32, int8 and, where the GPU can use it, fp16 ONNX files as Blobs), in stages:
 *
 *   read      parse the file (zip directory + restricted unpickler, or safetensors header), detect
 *             layout and size, refuse what cannot be converted here (seconds, before anything heavy)
 *   build     fp32 encoder (+ fp16) from the size's templates, weights streamed tensor by tensor
 *   quantize  int8 encoder (QInt8 per-channel, as the Python converter)
 *   verify    fp32 vs int8 (and fp16) on the shipped PBC crops: cosine ≥ 0.99, no NaN/Inf; int8 falls
 *             back to the converter's second recipe (FFN output MatMuls in fp32) before giving up
 *
 * Meanwhile the file's sha256 is computed in a second worker, and the ORT runtime and the crops load.
 * Nothing is stored here: the page stores the result (src/store/convertActions.ts). Memory stays
 * bounded: one tensor at a time while building, encoders go into Blobs, one ORT session at a time
 * while verifying; the page terminates this worker afterwards to free its WASM memory.
 */
import * as Comlink from 'comlink';
import { autoThreads } from '../src/core/backend.ts';
import { buildEncoder, finishFiniteCheck, type BuiltFile } from '../src/core/checkpoint/build.ts';
import { convertedManifest, type BuiltVariant } from '../src/core/checkpoint/bundleManifest.ts';
import { CheckpointError, ConversionCancelled } from '../src/core/checkpoint/errors.ts';
import { FiniteCheck, loadCheckpoint, type LoadedCheckpoint } from '../src/core/checkpoint/layout.ts';
import { browserMessage, FP16_MIN_COSINE, INT8_MIN_COSINE, refuseInBrowser, storageShortfall, type ConvertibleSize } from '../src/core/checkpoint/limits.ts';
import { officialCheckpoint } from '../src/core/checkpoint/official.ts';
import { blobSource, windowedSource } from '../src/core/checkpoint/source.ts';
import { parseTemplate, type OnnxTemplate } from '../src/core/checkpoint/template.ts';
import { compareEmbeddings } from '../src/core/checkpoint/verify.ts';
import type { BundleManifest } from '../src/core/manifest.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/core/preprocess.ts';
import type { ConvertOptions, ConvertOutcome, ConvertProgress, ConvertReport, ConvertResult, ConvertStage, ConvertWorkerApi, VerificationFigures } from '../src/inference/convertTypes.ts';
import { appBase, embedCrops, verificationCrops } from './convertVerify.ts';
import { gpuFacts } from './gpuFacts.ts';
import { startOrt } from './ort.ts';
import type { BlobHasher } from './sha256.worker.ts';

const CONVERTER = 'DinoBloom Web, in the browser (src/core/checkpoint)';
const RECIPE_ALL = 'dynamic int8: QInt8 per-channel weights, all MatMuls';
const RECIPE_FC2 = 'dynamic int8: QInt8 per-channel weights, FFN output MatMuls kept fp32';
type TemplateName = 'fp32' | 'int8' | 'int8-fc2fp32' | 'fp16';

/** Progress (throttled), stage timings and the cancel check of one conversion. */
class Job {
  readonly timings: ConvertReport['timings'] = {};
  private stage: ConvertStage = 'read';
  private t0 = performance.now();
  private last = 0;

  constructor(
    private readonly report: (p: ConvertProgress) => void,
    private readonly isCancelled: () => boolean,
  ) {
    report({ stage: 'read', fraction: 0 });
  }

  /** at most ~8 messages a second: each one re-renders the panel on the page's thread */
  progress(fraction: number, detail?: string): void {
    const now = performance.now();
    if (fraction > 0 && fraction < 1 && now - this.last < 120) return;
    this.last = now;
    this.report({ stage: this.stage, fraction, ...(detail ? { detail } : {}) });
  }

  enter(stage: ConvertStage): void {
    this.close();
    this.stage = stage;
    this.report({ stage, fraction: 0 });
  }

  close(): void {
    this.timings[this.stage] = (this.timings[this.stage] ?? 0) + performance.now() - this.t0;
    this.t0 = performance.now();
  }

  readonly checkpoint = (): void => {
    if (this.isCancelled()) throw new ConversionCancelled();
  };
}

/** sha256 of Blobs (the checkpoint, then each built encoder) in a worker of its own, on another core. */
function hashWorker(): { hash(blob: Blob): Promise<{ hex: string; ms: number }>; stop(): void } {
  const worker = new Worker(new URL('./sha256.worker.ts', import.meta.url), { type: 'module', name: 'sha256' });
  const remote = Comlink.wrap<BlobHasher>(worker);
  return {
    hash(blob) {
      const t = performance.now();
      const p = remote.sha256(blob).then((hex) => ({ hex, ms: performance.now() - t }));
      p.catch(() => {});
      return p;
    },
    stop: () => worker.terminate(),
  };
}

export class CheckpointConverter implements ConvertWorkerApi {
  private readonly cancelled = new Set<string>();

  cancel(jobId: string): void {
    this.cancelled.add(jobId);
  }

  async convert(jobId: string, file: File, opts: ConvertOptions, onProgress?: (p: ConvertProgress) => void): Promise<ConvertOutcome> {
    try {
      const job = new Job(onProgress ?? (() => {}), () => this.cancelled.has(jobId));
      return { ok: true, result: await this.run(job, file, opts) };
    } catch (e) {
      if (e instanceof ConversionCancelled) return { ok: false, kind: 'cancelled', message: e.message };
      if (e instanceof CheckpointError) return { ok: false, kind: e.kind, message: e.message };
      return { ok: false, kind: 'failed', message: `${file.name}: conversion failed: ${(e as Error)?.message ?? String(e)}` };
    } finally {
      this.cancelled.delete(jobId);
    }
  }

  private async run(job: Job, file: File, opts: ConvertOptions): Promise<ConvertResult> {
    let ck: LoadedCheckpoint;
    try {
      // layout and size from the zip directory + pickle (or the safetensors header) alone: an L or G
      // file is refused before its gigabytes are read
      ck = await loadCheckpoint(blobSource(file, file.name));
    } catch (e) {
      throw browserMessage(e);
    }
    const refusal = refuseInBrowser(ck);
    if (refusal) throw refusal;
    const size = ck.size as ConvertibleSize;
    await this.checkSpace(ck, file.name, opts);
    const hasher = hashWorker();
    const fileHash = hasher.hash(file);
    try {
      // the ORT runtime (fetch + compile of its .wasm) and the crops load while the encoders are built
      const ortReady = startOrt('jsep', autoThreads({ crossOriginIsolated: self.crossOriginIsolated === true, hardwareConcurrency: self.navigator.hardwareConcurrency || 1 }));
      const cropsReady = verificationCrops(ck.config.imgSize);
      ortReady.catch(() => {});
      const tStart = performance.now();
      let ortMs = 0;
      void ortReady.then(() => (ortMs = performance.now() - tStart)).catch(() => {});
      cropsReady.catch(() => {});
      const fp16Plan = await this.fp16Plan(opts);
      const [tplFp32, tplInt8, tplFp16] = await Promise.all([
        this.template(size, 'fp32'),
        this.template(size, 'int8'),
        fp16Plan.build ? this.template(size, 'fp16') : null,
      ]);
      job.checkpoint();

      job.enter('build'); // fp32 reads every weight once, so the NaN/Inf check rides along
      // the weights are read in 64 MB windows: hundreds of small Blob reads (one per tensor and
      // encoder) took ~10x longer, and the whole file at once would be 343 MB more at B's peak
      ck = await loadCheckpoint(windowedSource(blobSource(file, file.name)));
      const finite = new FiniteCheck(ck.name);
      const stats = { readMs: 0, encodeMs: 0, writeMs: 0 };
      const half = tplFp16 ? 0.5 : 1;
      const fp32 = await buildEncoder(ck, tplFp32, { hash: false, finite, stats, checkpoint: job.checkpoint, onProgress: (f) => job.progress(f * half, 'encoder.fp32.onnx') });
      await finishFiniteCheck(ck, tplFp32, finite);
      const sha = new Map<BuiltFile, Promise<{ hex: string; ms: number }>>([[fp32, hasher.hash(fp32.blob)]]);
      const fp16 = tplFp16 ? await buildEncoder(ck, tplFp16, { hash: false, checkpoint: job.checkpoint, onProgress: (f) => job.progress(0.5 + f / 2, 'encoder.fp16.onnx') }) : null;
      if (fp16) sha.set(fp16, hasher.hash(fp16.blob));

      job.enter('quantize');
      const int8 = await buildEncoder(ck, tplInt8, { hash: false, stats, checkpoint: job.checkpoint, onProgress: (f) => job.progress(f, 'encoder.int8.onnx') });
      sha.set(int8, hasher.hash(int8.blob));

      job.enter('verify');
      const [ort, crops] = await Promise.all([ortReady, cropsReady]);
      job.checkpoint();
      const io: Pick<BundleManifest, 'input' | 'output' | 'embeddingDim'> = {
        input: { name: tplFp32.header.input, size: ck.config.imgSize, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], resize: 'whole-bilinear-antialias' },
        output: { name: tplFp32.header.output },
        embeddingDim: ck.config.dim,
      };
      const detail: string[] = [];
      const embed = async (f: BuiltFile, tpl: OnnxTemplate, name: string, ep: 'wasm' | 'webgpu' = 'wasm'): Promise<Float32Array> => {
        const r = await embedCrops(ort, f, tpl, name, crops, io, ep);
        detail.push(`${name} ${ep}: session ${(r.sessionMs / 1000).toFixed(1)} s, ${crops.n} crops ${(r.runMs / 1000).toFixed(1)} s`);
        job.checkpoint();
        return r.embeddings;
      };
      const inputs = `${crops.n} PBC crops (public/convert-check, PIL-style bilinear ${ck.config.imgSize}, ImageNet mean/std); onnxruntime-web`;
      job.progress(0.05, 'encoder.fp32.onnx');
      const ref = await embed(fp32, tplFp32, 'encoder.fp32.onnx');
      const vsFp32 = (out: Float32Array, variant: string, ep = 'wasm'): VerificationFigures => ({ inputs: `${inputs} ${ep}, ${variant} vs fp32`, ...compareEmbeddings(ref, out, ck.config.dim) });

      // int8: the Python converter's recipes, in its order
      job.progress(0.4, 'encoder.int8.onnx');
      let kept = { file: int8, recipe: RECIPE_ALL, figures: vsFp32(await embed(int8, tplInt8, 'encoder.int8.onnx'), 'int8') };
      if (kept.figures.minCosine < INT8_MIN_COSINE) {
        const tried = `${RECIPE_ALL}: minCosine ${kept.figures.minCosine.toFixed(4)}`;
        const tplFc2 = await this.template(size, 'int8-fc2fp32');
        const second = await buildEncoder(ck, tplFc2, { hash: false, checkpoint: job.checkpoint });
        sha.set(second, hasher.hash(second.blob));
        job.progress(0.6, 'encoder.int8.onnx (second recipe)');
        kept = { file: second, recipe: RECIPE_FC2, figures: vsFp32(await embed(second, tplFc2, 'encoder.int8.onnx'), 'int8') };
        if (kept.figures.minCosine < INT8_MIN_COSINE) {
          throw new CheckpointError(
            'invalid',
            `${file.name}: verification failed: no int8 recipe reaches minCosine ${INT8_MIN_COSINE} against fp32 (${tried}; ${RECIPE_FC2}: minCosine ${kept.figures.minCosine.toFixed(4)}); nothing was stored`,
          );
        }
      }
      let fp16Figures: VerificationFigures | null = null;
      let fp16Skipped = fp16Plan.why;
      if (fp16) {
        job.progress(0.8, 'encoder.fp16.onnx');
        try {
          const f = vsFp32(await embed(fp16, tplFp16!, 'encoder.fp16.onnx', fp16Plan.ep), 'fp16', fp16Plan.ep);
          if (f.minCosine >= FP16_MIN_COSINE) fp16Figures = f;
          else fp16Skipped = `fp16 minCosine ${f.minCosine.toFixed(4)} < ${FP16_MIN_COSINE} against fp32: not kept`;
        } catch (e) {
          if (e instanceof ConversionCancelled) throw e;
          fp16Skipped = `the fp16 encoder could not be verified here (${(e as Error).message}): not kept`;
        }
      }

      job.progress(0.95, `sha256 of ${file.name} and the encoders`);
      const source = await fileHash;
      const hex = async (f: BuiltFile): Promise<string> => (await sha.get(f)!).hex;
      const [sha32, sha8, sha16] = await Promise.all([hex(fp32), hex(kept.file), fp16 && fp16Figures ? hex(fp16) : null]);
      job.close();
      const official = officialCheckpoint(source.hex);
      const variants: BuiltVariant[] = [
        { precision: 'fp32', file: 'encoder.fp32.onnx', bytes: fp32.bytes, sha256: sha32, verification: { inputs: `${inputs} wasm: the reference (outputs finite)` } },
        { precision: 'int8', file: 'encoder.int8.onnx', bytes: kept.file.bytes, sha256: sha8, verification: { ...kept.figures, method: kept.recipe } },
      ];
      if (fp16 && fp16Figures) variants.push({ precision: 'fp16', file: 'encoder.fp16.onnx', bytes: fp16.bytes, sha256: sha16!, verification: { ...fp16Figures } });
      const manifest = convertedManifest(ck, { bytes: file.size, sha256: source.hex, official }, variants, { id: opts.id ?? `dinobloom-${size.toLowerCase()}`, converter: CONVERTER });
      return {
        manifest,
        files: {
          'manifest.json': new Blob([`${JSON.stringify(manifest, null, 2)}\n`], { type: 'application/json' }),
          'encoder.fp32.onnx': fp32.blob,
          'encoder.int8.onnx': kept.file.blob,
          ...(fp16 && fp16Figures ? { 'encoder.fp16.onnx': fp16.blob } : {}),
        },
        report: {
          layout: ck.source,
          size,
          variant: ck.variant,
          parameters: ck.parameters,
          sourceBytes: file.size,
          sourceSha256: source.hex,
          ...(official ? { official: official.label } : {}),
          notes: ck.notes,
          int8Recipe: kept.recipe,
          verification: { int8: kept.figures, ...(fp16Figures ? { fp16: fp16Figures } : {}) },
          crops: crops.n,
          verifyDetail: [
            `build + quantize: reading tensors ${(stats.readMs / 1000).toFixed(1)} s, encoding ${(stats.encodeMs / 1000).toFixed(1)} s, writing Blobs ${(stats.writeMs / 1000).toFixed(1)} s`,
            `sha256 of the file ${(source.ms / 1000).toFixed(1)} s (in parallel)`,
            `ORT runtime started in ${(ortMs / 1000).toFixed(1)} s (in parallel)`,
            ...detail,
          ].join('; '),
          ...(fp16Figures ? {} : { fp16Skipped: fp16Skipped ?? 'not built' }),
          timings: job.timings,
        },
      };
    } finally {
      hasher.stop();
    }
  }

  /** Refuses at once when the browser's storage cannot take the bundle. */
  private async checkSpace(ck: LoadedCheckpoint, name: string, opts: ConvertOptions): Promise<void> {
    const est = await self.navigator.storage?.estimate?.().catch(() => undefined);
    const short = storageShortfall(ck, name, est, opts.fp16 === 'yes');
    if (short) throw short;
  }

  /** fp16 only helps WebGPU with shader-f16, and can only be verified where it runs. */
  private async fp16Plan(opts: ConvertOptions): Promise<{ build: boolean; ep: 'wasm' | 'webgpu'; why?: string }> {
    if (opts.fp16 === 'no') return { build: false, ep: 'wasm', why: 'fp16 not asked for' };
    const gpu = await gpuFacts();
    if (gpu?.shaderF16) return { build: true, ep: 'webgpu' };
    if (opts.fp16 === 'yes') return { build: true, ep: 'wasm' };
    return { build: false, ep: 'wasm', why: gpu ? 'this GPU has no shader-f16: the fp16 variant would not be used' : 'no WebGPU here: the fp16 variant would not be used' };
  }

  private async template(size: ConvertibleSize, precision: TemplateName): Promise<OnnxTemplate> {
    const name = `dinobloom-${size.toLowerCase()}.${precision}.tpl`;
    const res = await fetch(new URL(`checkpoint-templates/${name}`, appBase()));
    if (!res.ok) throw new Error(`the converter's template ${name} is missing (HTTP ${res.status})`);
    return parseTemplate(new Uint8Array(await res.arrayBuffer()));
  }
}
