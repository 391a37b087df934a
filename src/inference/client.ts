/**
 * The only place that talks to the inference worker. Owns the worker's lifetime: terminating it is
 * how WASM memory is freed and how a new thread count takes effect; a crashed worker is replaced.
 */
import * as Comlink from 'comlink';
import type { BackendSettings, EnvironmentFacts } from '../core/backend.ts';
import type { BundleManifest } from '../core/manifest.ts';
import type { HeadRef } from '../core/cell.ts';
import type { BatchReport, BundleOffer, BundleSource, CellInput, ClassifySummary, HeadSpec, ShiftInfo, InferenceWorkerApi, LoadedModel, LoadProgress } from './types.ts';

export interface CellJobOptions {
  signal?: AbortSignal;
  onBatch: (report: BatchReport) => void;
  batchSize?: number;
}

export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashedError';
  }
}

export class InferenceClient {
  private worker: Worker | null = null;
  private remote: Comlink.Remote<InferenceWorkerApi> | null = null;
  private crashReject: ((e: Error) => void) | null = null;
  private crashed: Promise<never> = new Promise(() => {});
  /** The lab head set for a model, applied again whenever that model is (re)loaded — e.g. by a fresh worker after a crash. */
  private labHead: { modelId: string; spec: HeadSpec } | null = null;

  constructor(private readonly onCrash?: (message: string) => void) {}

  private api(): Comlink.Remote<InferenceWorkerApi> {
    if (this.remote) return this.remote;
    const worker = new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' });
    this.crashed = new Promise<never>((_, reject) => {
      this.crashReject = reject;
    });
    this.crashed.catch(() => {});
    const died = (message: string): void => {
      if (this.worker !== worker) return; // terminated on purpose, or already handled
      this.crashReject?.(new WorkerCrashedError(message));
      this.terminate();
      this.onCrash?.(message);
    };
    worker.addEventListener('error', (ev) => died(`The inference worker stopped: ${ev.message || 'unknown error'}.`));
    this.worker = worker;
    this.remote = Comlink.wrap<InferenceWorkerApi>(worker);
    this.watchLifeline(died);
    return this.remote;
  }

  /**
   * A worker that dies without an error event (out of memory, a killed process, `close()`) would
   * leave every call pending forever. The worker holds a Web Lock for its whole life; the lock is
   * granted to us only once the worker is gone, whatever killed it.
   */
  private watchLifeline(died: (message: string) => void): void {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks || !this.remote) return;
    const name = `dinobloom-inference-alive-${crypto.randomUUID()}`;
    void this.remote
      .holdLifeline(name)
      .then(() =>
        locks.request(name, () => {
          died('The inference worker stopped unexpectedly (out of memory, a WebAssembly error, or the browser ended it).');
        }),
      )
      .catch(() => {});
  }

  /** Races a worker call against the worker dying, so callers never wait forever. */
  private guarded<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.crashed]);
  }

  probeEnvironment(): Promise<EnvironmentFacts> {
    return this.guarded(this.api().probeEnvironment());
  }

  /**
   * Starts the worker and its WASM runtime now, so that both load while the page restores its session
   * and chooses the model; failures are left to the loadBundle that follows.
   */
  prestart(settings: BackendSettings): void {
    void this.guarded(this.api().prestart(settings)).catch(() => {});
  }

  /**
   * Loads a bundle with the head it should classify with: the lab head this client last set for the
   * same model (a fresh worker after a crash), else `headFor`'s (the one remembered in storage, after
   * a reload). A head the worker refuses leaves the bundle's own; the caller sees which in `head`.
   */
  async loadBundle(
    source: BundleSource,
    settings: BackendSettings,
    onProgress?: (p: LoadProgress) => void,
    headFor?: (manifest: BundleManifest) => Promise<HeadSpec | null>,
  ): Promise<LoadedModel> {
    const api = this.api();
    const model = await this.guarded(api.loadBundle(source, settings, onProgress ? Comlink.proxy(onProgress) : undefined));
    const spec = this.labHead?.modelId === model.manifest.id ? this.labHead.spec : await headFor?.(model.manifest).catch(() => null);
    if (!spec) return model;
    try {
      const { classes, head, shift } = await this.guarded(api.setHead(spec));
      this.labHead = { modelId: model.manifest.id, spec };
      return { ...model, classes, head, shift };
    } catch (e) {
      if (e instanceof WorkerCrashedError) throw e;
      return model;
    }
  }

  /**
   * Checks a bundle in a short-lived worker of its own, so an import never disturbs the active model
   * (or fixes this worker's WASM thread count) and its memory is freed right after.
   */
  static async prepareImport(offer: BundleOffer, onProgress?: (p: LoadProgress) => void): Promise<{ manifest: BundleManifest; files: Record<string, Blob> }> {
    const probe = new InferenceClient();
    try {
      return await probe.guarded(probe.api().prepareImport(offer, onProgress ? Comlink.proxy(onProgress) : undefined));
    } finally {
      probe.terminate();
    }
  }

  classify(cells: CellInput[], opts: CellJobOptions): Promise<ClassifySummary> {
    return this.cellJob('classify', cells, opts);
  }

  /** Embeddings only (lab-head training); same options as classify. */
  embed(cells: CellInput[], opts: CellJobOptions): Promise<ClassifySummary> {
    return this.cellJob('embed', cells, opts);
  }

  /**
   * Switches the worker's head for the loaded model (null: the bundle's own). The head is remembered
   * and set again when the same model is loaded later by a fresh worker (crash, new thread count).
   */
  async setHead(modelId: string, spec: HeadSpec | null): Promise<{ classes: string[]; head: HeadRef | null; shift: ShiftInfo | null }> {
    const result = await this.guarded(this.api().setHead(spec));
    this.labHead = spec ? { modelId, spec } : null;
    return result;
  }

  private async cellJob(kind: 'classify' | 'embed', cells: CellInput[], opts: CellJobOptions): Promise<ClassifySummary> {
    const api = this.api();
    const jobId = crypto.randomUUID();
    const onAbort = (): void => void api.cancel(jobId);
    opts.signal?.addEventListener('abort', onAbort);
    try {
      return await this.guarded(api[kind](jobId, cells, Comlink.proxy(opts.onBatch), opts.batchSize));
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Frees the WASM heap and GPU buffers; the next call starts a fresh worker. */
  terminate(): void {
    this.remote?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.remote = null;
  }
}
