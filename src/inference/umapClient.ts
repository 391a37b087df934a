/**
 * The UI side of the UMAP worker (workers/umap.worker.ts): one worker per layout, terminated when it
 * ends (frees its memory), with progress and an AbortSignal. The embeddings are copied and the copy
 * transferred, so the caller keeps its array.
 */
import * as Comlink from 'comlink';
import type { UmapEngine, UmapOptions, UmapProgress } from '../../workers/umap.ts';

export type { UmapOptions, UmapProgress };

/** How long a cancelled job may take to stop before the worker is terminated anyway. */
const CANCEL_GRACE_MS = 500;

export async function computeUmap(
  embeddings: Float32Array,
  n: number,
  d: number,
  opts: UmapOptions = {},
  ctl: { onProgress?: (p: UmapProgress) => void; signal?: AbortSignal } = {},
): Promise<Float32Array> {
  if (ctl.signal?.aborted) throw new DOMException('The UMAP layout was cancelled.', 'AbortError');
  const worker = new Worker(new URL('../../workers/umap.worker.ts', import.meta.url), { type: 'module', name: 'umap' });
  const remote = Comlink.wrap<UmapEngine>(worker);
  const jobId = `umap-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const data = embeddings.slice(0, n * d);
  let onAbort: (() => void) | undefined;
  // A progress report may still be in flight when the job ends or is cancelled: drop it, or it would
  // show the progress again after the caller has cleared it.
  let settled = false;
  const onProgress = ctl.onProgress;
  const progress = onProgress ? Comlink.proxy((p: UmapProgress) => void (!settled && !ctl.signal?.aborted && onProgress(p))) : undefined;
  try {
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        void remote.cancel(jobId).catch(() => {});
        setTimeout(() => reject(new DOMException('The UMAP layout was cancelled.', 'AbortError')), CANCEL_GRACE_MS);
      };
      ctl.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const crashed = new Promise<never>((_, reject) => {
      worker.onerror = (e) => reject(new Error(`The UMAP worker failed: ${e.message || 'unknown error'}`));
    });
    const job = remote.layout(jobId, Comlink.transfer(data, [data.buffer]), n, d, opts, progress);
    return await Promise.race([job, aborted, crashed]);
  } catch (e) {
    // the worker's own cancellation error crosses as a plain Error named AbortError
    if (e instanceof Error && e.name === 'AbortError') throw new DOMException(e.message, 'AbortError');
    throw e;
  } finally {
    settled = true;
    if (onAbort) ctl.signal?.removeEventListener('abort', onAbort);
    remote[Comlink.releaseProxy]();
    worker.terminate();
  }
}
