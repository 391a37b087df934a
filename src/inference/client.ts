/**
 * The only place that talks to the inference worker. Owns the worker's lifetime: terminating it is
 * how WASM memory is freed and how a new thread count takes effect; a crashed worker is replaced.
 */
import * as Comlink from 'comlink';
import type { BackendSettings, EnvironmentFacts } from '../core/backend.ts';
import type { BundleManifest } from '../core/manifest.ts';
import type { BatchReport, BundleOffer, BundleSource, CellInput, ClassifySummary, InferenceWorkerApi, LoadedModel, LoadProgress } from './types.ts';

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

  loadBundle(source: BundleSource, settings: BackendSettings, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel> {
    const api = this.api();
    return this.guarded(api.loadBundle(source, settings, onProgress ? Comlink.proxy(onProgress) : undefined));
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

  async classify(
    cells: CellInput[],
    opts: { signal?: AbortSignal; onBatch: (report: BatchReport) => void; batchSize?: number },
  ): Promise<ClassifySummary> {
    const api = this.api();
    const jobId = crypto.randomUUID();
    const onAbort = (): void => void api.cancel(jobId);
    opts.signal?.addEventListener('abort', onAbort);
    try {
      return await this.guarded(api.classify(jobId, cells, Comlink.proxy(opts.onBatch), opts.batchSize));
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
