/**
 * Runs one checkpoint conversion in a worker of its own (workers/convert.worker.ts), which is
 * terminated afterwards — that is what frees the WASM memory of the verification sessions. Cancel asks
 * the worker to stop between tensors and terminates it if it does not answer quickly.
 */
import * as Comlink from 'comlink';
import type { ConvertOptions, ConvertOutcome, ConvertProgress, ConvertWorkerApi } from './convertTypes.ts';

const CANCEL_GRACE_MS = 1500;

export async function convertCheckpoint(
  file: File,
  opts: ConvertOptions,
  hooks: { onProgress?: (p: ConvertProgress) => void; signal?: AbortSignal } = {},
): Promise<ConvertOutcome> {
  const cancelled: ConvertOutcome = { ok: false, kind: 'cancelled', message: 'Conversion cancelled: nothing was stored.' };
  if (hooks.signal?.aborted) return cancelled;
  const worker = new Worker(new URL('../../workers/convert.worker.ts', import.meta.url), { type: 'module', name: 'convert' });
  const remote = Comlink.wrap<ConvertWorkerApi>(worker);
  const jobId = crypto.randomUUID();
  let onAbort: (() => void) | null = null;
  try {
    const stopped = new Promise<ConvertOutcome>((resolve) => {
      worker.addEventListener('error', (ev) =>
        resolve({ ok: false, kind: 'failed', message: `The conversion worker stopped (${ev.message || 'out of memory or a WebAssembly error'}); nothing was stored.` }),
      );
      onAbort = () => {
        void remote.cancel(jobId);
        setTimeout(() => resolve(cancelled), CANCEL_GRACE_MS);
      };
      hooks.signal?.addEventListener('abort', onAbort);
    });
    const run = remote.convert(jobId, file, opts, hooks.onProgress ? Comlink.proxy(hooks.onProgress) : undefined);
    return await Promise.race([run, stopped]);
  } finally {
    if (onAbort) hooks.signal?.removeEventListener('abort', onAbort);
    remote[Comlink.releaseProxy]();
    worker.terminate();
  }
}
