/**
 * The page's side of the training worker (workers/training.worker.ts). One training at a time: the
 * worker is started for it and terminated right after (or on cancel, or when the training fails),
 * so the memory of a large training set is handed back at once. The request's embeddings and labels
 * are transferred, not copied: after train() the caller's arrays are empty (pass copies to keep them).
 */
import * as Comlink from 'comlink';
import { TrainingInputError } from '../core/training/errors.ts';
import type { TrainProgress, TrainRequest, TrainResult } from '../core/training/engine.ts';
import { CancelledError } from '../core/training/steps.ts';

export type TrainingJob = Omit<TrainRequest, 'jobId'>;

/** What workers/training.worker.ts exposes (TrainingEngine + the lifeline). */
export interface TrainingWorkerApi {
  train(request: TrainRequest, onProgress?: (p: TrainProgress) => void): Promise<TrainResult>;
  cancel(jobId: string): void;
  /** Resolves once the worker holds the Web Lock `name`, which it keeps until it dies. */
  holdLifeline(name: string): Promise<void>;
}

export class TrainingClient {
  private worker: Worker | null = null;
  private stop: ((e: Error) => void) | null = null;

  get busy(): boolean {
    return this.worker !== null;
  }

  /**
   * Train in the worker. Rejects with CancelledError when `signal` aborts (nothing is returned or
   * saved), TrainingInputError when the training set cannot give a head (the message says why), or
   * Error when the worker died.
   */
  async train(job: TrainingJob, opts: { signal?: AbortSignal; onProgress?: (p: TrainProgress) => void } = {}): Promise<TrainResult> {
    if (this.worker) throw new Error('A training is already running.');
    if (opts.signal?.aborted) throw new CancelledError();
    const worker = new Worker(new URL('../../workers/training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
    this.worker = worker;
    const remote = Comlink.wrap<TrainingWorkerApi>(worker);
    const jobId = crypto.randomUUID();
    let crashed: (e: Error) => void = () => {};
    const died = new Promise<never>((_, reject) => (crashed = reject));
    died.catch(() => {});
    this.stop = (e) => crashed(e);
    worker.addEventListener('error', (ev) => crashed(new Error(`The training worker stopped: ${ev.message || 'unknown error'}.`)));
    this.watchLifeline(remote, () => crashed(new Error('The training worker stopped unexpectedly (out of memory, or the browser ended it).')));
    let cancelled = false;
    const onAbort = (): void => {
      cancelled = true;
      void remote.cancel(jobId);
    };
    opts.signal?.addEventListener('abort', onAbort);
    const request: TrainRequest = { ...job, jobId };
    try {
      const call = remote.train(
        Comlink.transfer(request, [job.embeddings.buffer, job.labels.buffer] as Transferable[]),
        opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined,
      );
      return await Promise.race([call, died]);
    } catch (e) {
      const err = e as Error;
      if (cancelled || err?.name === 'CancelledError') throw new CancelledError();
      if (err?.name === 'TrainingInputError') throw new TrainingInputError(err.message);
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      remote[Comlink.releaseProxy]();
      worker.terminate();
      this.worker = null;
      this.stop = null;
    }
  }

  /** A worker killed without an error event would leave train() pending: a Web Lock tells. */
  private watchLifeline(remote: Comlink.Remote<TrainingWorkerApi>, died: () => void): void {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return;
    const name = `dinobloom-training-alive-${crypto.randomUUID()}`;
    void remote
      .holdLifeline(name)
      .then(() =>
        locks.request(name, () => {
          if (this.worker) died();
        }),
      )
      .catch(() => {});
  }

  /** Stops a running training at once: its train() rejects with CancelledError and the worker is terminated. */
  dispose(): void {
    this.stop?.(new CancelledError());
  }
}
