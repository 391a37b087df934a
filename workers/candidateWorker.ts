import type { Candidate } from '../src/inference/calibration.ts';
import type { CalibrateReply, CalibrateRequest } from './calibrate.worker.ts';

/** One calibration candidate held in a short-lived worker of its own (workers/calibrate.worker.ts). */
export class CandidateWorker {
  private readonly worker = new Worker(new URL('./calibrate.worker.ts', import.meta.url), { type: 'module', name: 'calibrate' });
  private readonly queue: { resolve: (r: CalibrateReply) => void }[] = [];
  private failed: Error | null = null;

  constructor(readonly candidate: Candidate) {
    this.worker.onmessage = (e: MessageEvent<CalibrateReply>) => this.queue.shift()?.resolve(e.data);
    this.worker.onerror = (e) => {
      this.failed = new Error(e.message || 'calibration worker failed');
      for (const q of this.queue.splice(0)) q.resolve({ ok: false, error: this.failed.message });
    };
  }

  private request(msg: CalibrateRequest): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<CalibrateReply>((resolve) => {
      this.queue.push({ resolve });
      this.worker.postMessage(msg);
    }).then((r) => {
      if (!r.ok) throw new Error(r.error);
      return r.ms ?? 0;
    });
  }

  init(model: Blob, input: { name: string; size: number }): Promise<number> {
    return this.request({ type: 'init', model, backend: this.candidate.backend, threads: this.candidate.threads, inputName: input.name, size: input.size });
  }

  run(n: number): Promise<number> {
    return this.request({ type: 'run', n });
  }

  terminate(): void {
    this.worker.terminate();
  }
}
