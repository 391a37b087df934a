/**
 * Request/reply over a helper worker that answers in order (workers/decode.worker.ts,
 * workers/calibrate.worker.ts): each request resolves with the next reply. If the worker fails, every
 * pending and later request rejects.
 */
export class WorkerChannel<Req, Reply> {
  private readonly queue: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | null = null;

  constructor(private readonly worker: Worker, failureMessage: string) {
    worker.onmessage = (e: MessageEvent<Reply>) => this.queue.shift()?.resolve(e.data);
    worker.onerror = (e) => {
      this.failed = new Error(e.message || failureMessage);
      for (const q of this.queue.splice(0)) q.reject(this.failed);
    };
  }

  get broken(): boolean {
    return this.failed !== null;
  }

  request(msg: Req): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  terminate(why: string): void {
    this.worker.terminate();
    for (const q of this.queue.splice(0)) q.reject(new Error(why));
  }
}
