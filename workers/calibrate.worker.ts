/**
 * Short-lived calibration worker: holds one backend/thread configuration of a model and times single
 * batches of synthetic input on request (one worker per configuration: ORT-web's WASM thread count is
 * fixed once its runtime starts). Started and terminated by workers/engine.ts, one at a time;
 * requests are answered in order.
 */
import type { BackendName } from '../src/core/backend.ts';
import { buildFor, loadOrt, sessionOptions, syntheticRunner } from './ort.ts';

export type CalibrateRequest =
  | { type: 'init'; model: Blob; backend: BackendName; threads: number; inputName: string; size: number }
  | { type: 'run'; n: number };
export type CalibrateReply = { ok: true; ms?: number } | { ok: false; error: string };

let run: ((n: number) => Promise<number>) | null = null;

self.onmessage = async (e: MessageEvent<CalibrateRequest>) => {
  const r = e.data;
  try {
    if (r.type === 'init') {
      const ort = await loadOrt(buildFor(r.backend), r.threads);
      const session = await ort.InferenceSession.create(new Uint8Array(await r.model.arrayBuffer()), sessionOptions(r.backend));
      run = syntheticRunner(ort, session, r.inputName, r.size);
      self.postMessage({ ok: true } satisfies CalibrateReply);
    } else {
      if (!run) throw new Error('not initialised');
      self.postMessage({ ok: true, ms: await run(r.n) } satisfies CalibrateReply);
    }
  } catch (err) {
    self.postMessage({ ok: false, error: String((err as Error)?.message ?? err) } satisfies CalibrateReply);
  }
};
