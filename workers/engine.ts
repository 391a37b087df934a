/**
 * The inference engine that lives in the worker: onnxruntime-web session + linear head.
 * ORT-web is imported here and nowhere else (one build: the default bundle with WASM + WebGPU).
 */
import * as ort from 'onnxruntime-web';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { chooseBackend, type BackendSettings, type EnvironmentFacts, type GpuFacts } from '../src/core/backend.ts';
import { applyHead, parseHeadJson, type LinearHead } from '../src/core/head.ts';
import { BundleError, pickVariant, type BundleManifest } from '../src/core/manifest.ts';
import { checkModelIo } from '../src/core/modelIo.ts';
import { preprocess } from '../src/core/preprocess.ts';
import type {
  BatchReport, BundleOffer, BundleSource, CellInput, CellOutcome, ClassifySummary, InferenceWorkerApi, LoadedModel, LoadProgress, StageTimings,
} from '../src/inference/types.ts';
import { offerToFiles } from './bundleArchive.ts';
import { openBundle, readVerified } from './bundleReader.ts';
import { decodeCell } from './decode.ts';

// The .wasm is emitted by Vite and served by the app itself — never a CDN.
ort.env.wasm.wasmPaths = { wasm: wasmUrl };
ort.env.wasm.proxy = false;

const zeroTimings = (): StageTimings => ({ decodeMs: 0, resizeMs: 0, inferenceMs: 0, headMs: 0 });
const addTimings = (a: StageTimings, b: StageTimings): void => {
  a.decodeMs += b.decodeMs; a.resizeMs += b.resizeMs; a.inferenceMs += b.inferenceMs; a.headMs += b.headMs;
};

async function gpuFacts(): Promise<GpuFacts | null> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? ({} as GPUAdapterInfo);
    const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
    const infoFallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
    return {
      isFallback: Boolean(infoFallback ?? legacy.isFallbackAdapter ?? false),
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      shaderF16: adapter.features.has('shader-f16'),
    };
  } catch {
    return null;
  }
}

export class InferenceEngine implements InferenceWorkerApi {
  private session: ort.InferenceSession | null = null;
  private head: LinearHead | null = null;
  private manifest: BundleManifest | null = null;
  private environment: EnvironmentFacts | null = null;
  private wasmThreads: number | null = null;
  private readonly cancelled = new Set<string>();

  async probeEnvironment(): Promise<EnvironmentFacts> {
    this.environment ??= {
      crossOriginIsolated: self.crossOriginIsolated === true,
      hardwareConcurrency: self.navigator.hardwareConcurrency || 1,
      gpu: await gpuFacts(),
    };
    return this.environment;
  }

  async loadBundle(source: BundleSource, settings: BackendSettings, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel> {
    const t0 = performance.now();
    const env = await this.probeEnvironment();
    onProgress?.({ stage: 'manifest' });
    const bundle = await openBundle(source);
    const { manifest } = bundle;
    if (!manifest.head) {
      throw new BundleError(`"${manifest.name}" has no classification head yet: run \`npm run train-head\` on it first.`, 'manifest.json');
    }
    const hasFor = (b: 'wasm' | 'webgpu') => manifest.encoder.variants.some((v) => v.backends.includes(b));
    const choice = chooseBackend(env, { wasm: hasFor('wasm'), webgpu: hasFor('webgpu') }, settings);
    const variant = pickVariant(manifest, choice.backend, { shaderF16: env.gpu?.shaderF16 ?? false });
    if (!variant) throw new BundleError(`"${manifest.name}" has no encoder variant for ${choice.backend}.`, 'manifest.json');

    const headBytes = await readVerified(bundle, manifest.head, onProgress);
    const head = parseHeadJson(JSON.parse(new TextDecoder().decode(headBytes)), manifest.head.classes, manifest.embeddingDim);
    const model = await readVerified(bundle, variant, onProgress);

    onProgress?.({ stage: 'session', file: variant.file });
    // WASM threads are fixed when the runtime first initialises; the client starts a fresh worker to change them.
    this.initWasm(choice.backend === 'wasm' ? choice.threads : Math.max(1, Math.min(env.hardwareConcurrency, 4)));
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        executionProviders: [choice.backend],
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new BundleError(`${variant.file} could not be loaded by onnxruntime (${choice.backend}): ${(e as Error).message}`, variant.file);
    }
    const mismatch = checkModelIo(manifest, variant.file, session.inputMetadata, session.outputMetadata);
    if (mismatch) {
      await session.release();
      throw new BundleError(mismatch, variant.file);
    }
    await this.releaseSession();
    this.session = session;
    this.head = head;
    this.manifest = manifest;
    return {
      manifest,
      classes: head.classes,
      precision: variant.precision,
      file: variant.file,
      choice: { ...choice, threads: choice.backend === 'wasm' ? (env.crossOriginIsolated ? this.wasmThreads! : 1) : choice.threads },
      environment: env,
      loadMs: performance.now() - t0,
    };
  }

  /**
   * Full check of a bundle before it is imported: manifest, size + sha256 of every file, head shape,
   * and the I/O signature of every WASM-capable variant. Nothing is kept; the active model is untouched.
   */
  async prepareImport(offer: BundleOffer, onProgress?: (p: LoadProgress) => void): Promise<{ manifest: BundleManifest; files: Record<string, Blob> }> {
    const files = await offerToFiles(offer, (file, loaded, total) => onProgress?.({ stage: 'download', file, loaded, total }));
    onProgress?.({ stage: 'verify' });
    const manifest = await this.inspectBundle({ kind: 'files', files });
    // Keep only what the manifest lists: stray files in a folder or zip are not imported.
    const listed = ['manifest.json', ...manifest.encoder.variants.map((v) => v.file), ...(manifest.head ? [manifest.head.file] : [])];
    return { manifest, files: Object.fromEntries(listed.map((f) => [f, files[f]!])) };
  }

  async inspectBundle(source: BundleSource): Promise<BundleManifest> {
    const bundle = await openBundle(source);
    const { manifest } = bundle;
    if (!manifest.head) throw new BundleError(`"${manifest.name}" has no classification head yet: run \`npm run train-head\` on it first.`, 'manifest.json');
    const headBytes = await readVerified(bundle, manifest.head);
    parseHeadJson(JSON.parse(new TextDecoder().decode(headBytes)), manifest.head.classes, manifest.embeddingDim);
    for (const variant of manifest.encoder.variants) {
      const bytes = await readVerified(bundle, variant);
      if (!variant.backends.includes('wasm')) continue;
      this.initWasm(1);
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      } catch (e) {
        throw new BundleError(`${variant.file} is not a valid ONNX model: ${(e as Error).message}`, variant.file);
      }
      const mismatch = checkModelIo(manifest, variant.file, session.inputMetadata, session.outputMetadata);
      await session.release();
      if (mismatch) throw new BundleError(mismatch, variant.file);
    }
    return manifest;
  }

  private initWasm(threads: number): void {
    if (this.wasmThreads !== null) return;
    this.wasmThreads = threads;
    ort.env.wasm.numThreads = self.crossOriginIsolated ? threads : 1;
  }

  cancel(jobId: string): void {
    this.cancelled.add(jobId);
  }

  async classify(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize = 8): Promise<ClassifySummary> {
    const { session, head, manifest } = this;
    if (!session || !head || !manifest) throw new Error('No model is loaded.');
    const size = manifest.input.size;
    const spec = { size, mean: manifest.input.mean, std: manifest.input.std };
    const per = 3 * size * size;
    const total = zeroTimings();
    let processed = 0;
    try {
      for (let start = 0; start < cells.length; start += batchSize) {
        if (this.cancelled.has(jobId)) return { processed, cancelled: true, timings: total };
        const batch = cells.slice(start, start + batchSize);
        const timings = zeroTimings();
        const outcomes: CellOutcome[] = [];
        const good: { id: string; width: number; height: number }[] = [];
        const input = new Float32Array(batch.length * per);
        for (const cell of batch) {
          const t0 = performance.now();
          const decoded = await decodeCell(cell.blob);
          const t1 = performance.now();
          timings.decodeMs += t1 - t0;
          if (!decoded.ok) {
            outcomes.push({ id: cell.id, ok: false, reason: decoded.reason, message: decoded.message });
            continue;
          }
          preprocess(decoded.image, spec, input, good.length * per);
          timings.resizeMs += performance.now() - t1;
          good.push({ id: cell.id, width: decoded.image.width, height: decoded.image.height });
        }
        if (good.length > 0) {
          const t2 = performance.now();
          let embeddings: Float32Array;
          try {
            const feeds = { [manifest.input.name]: new ort.Tensor('float32', input.subarray(0, good.length * per), [good.length, 3, size, size]) };
            const out = await session.run(feeds);
            const tensor = out[manifest.output?.name ?? 'embedding'];
            if (!tensor) throw new Error('the model produced no embedding output');
            embeddings = (await tensor.getData()) as Float32Array;
            tensor.dispose();
          } catch (e) {
            for (const g of good) outcomes.push({ id: g.id, ok: false, reason: 'inference-failed', message: `Inference failed: ${(e as Error).message}` });
            onBatch({ outcomes, timings });
            processed += batch.length;
            continue;
          }
          const t3 = performance.now();
          timings.inferenceMs += t3 - t2;
          const probs = applyHead(head, embeddings, good.length);
          const c = head.classes.length;
          good.forEach((g, i) => outcomes.push({ id: g.id, ok: true, probabilities: probs.slice(i * c, (i + 1) * c), width: g.width, height: g.height }));
          timings.headMs += performance.now() - t3;
        }
        addTimings(total, timings);
        processed += batch.length;
        onBatch({ outcomes, timings });
      }
      return { processed, cancelled: false, timings: total };
    } finally {
      this.cancelled.delete(jobId);
    }
  }

  private async releaseSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }

  async dispose(): Promise<void> {
    await this.releaseSession();
    this.head = null;
    this.manifest = null;
  }
}
