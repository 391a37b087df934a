import type { Candidate } from '../src/inference/calibration.ts';
import type { CalibrateReply, CalibrateRequest } from './calibrate.worker.ts';
import { WorkerChannel } from './workerChannel.ts';

/** One calibration candidate held in a short-lived worker of its own (workers/calibrate.worker.ts). */
export class CandidateWorker {
  private readonly channel = new WorkerChannel<CalibrateRequest, CalibrateReply>(
    new Worker(new URL('./calibrate.worker.ts', import.meta.url), { type: 'module', name: 'calibrate' }),
    'calibration worker failed',
  );

  constructor(readonly candidate: Candidate) {}

  private async request(msg: CalibrateRequest): Promise<number> {
    const r = await this.channel.request(msg);
    if (!r.ok) throw new Error(r.error);
    return r.ms ?? 0;
  }

  init(model: Blob, input: { name: string; size: number }): Promise<number> {
    return this.request({ type: 'init', model, backend: this.candidate.backend, threads: this.candidate.threads, inputName: input.name, size: input.size });
  }

  run(n: number): Promise<number> {
    return this.request({ type: 'run', n });
  }

  terminate(): void {
    this.channel.terminate('calibration worker stopped');
  }
}
