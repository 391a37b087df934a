/**
 * Long computations as generators: every long loop in src/core/training is written once, as a
 * generator that yields a small progress value after each unit of work (an L-BFGS iteration, a block
 * of kNN queries). The same code then runs
 *   - synchronously (`drain`), for the CLI and the tests, and
 *   - cooperatively (`runSteps`), in the training worker: it gives the event loop a turn every few
 *     tens of milliseconds, so that a cancel message sent through comlink is received while the
 *     training runs (a synchronous loop would hold it until the end), and reports throttled progress.
 */

export type Steps<T, R> = Generator<T, R, void>;

/** Thrown by runSteps when its signal was aborted; nothing computed so far is returned. */
export class CancelledError extends Error {
  constructor(message = 'Training cancelled.') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Run a step generator to the end without ever yielding to the event loop. */
export function drain<T, R>(gen: Steps<T, R>, onStep?: (step: T) => void): R {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    onStep?.(r.value);
  }
}

/** Transform each yielded value (adds context such as the fold index) and pass the result through. */
export function* mapSteps<A, B, R>(gen: Steps<A, R>, f: (a: A) => B): Steps<B, R> {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    yield f(r.value);
  }
}

/** What runSteps checks between steps: an AbortSignal or anything with `aborted`. */
export interface AbortFlag {
  readonly aborted: boolean;
}

export interface RunStepsOptions<T> {
  signal?: AbortFlag;
  /** called with the latest step at most every `progressMs` (and never for a cancelled run) */
  onProgress?: (step: T) => void;
  progressMs?: number;
  /** report this step even within progressMs of the last report (e.g. a new stage) */
  milestone?: (previous: T | undefined, step: T) => boolean;
  /** longest stretch of synchronous work between two turns of the event loop (default 25 ms) */
  sliceMs?: number;
  /** how to give the event loop a turn (default: a MessageChannel task, else setTimeout 0) */
  yieldToEvents?: () => Promise<void>;
}

/**
 * A MessageChannel task: unlike setTimeout(0) it is not clamped to 4 ms when nested, and it runs
 * after already queued messages (a pending cancel).
 */
export function defaultYield(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** Run a step generator, yielding to the event loop between slices; throws CancelledError when aborted. */
export async function runSteps<T, R>(gen: Steps<T, R>, opts: RunStepsOptions<T> = {}): Promise<R> {
  const sliceMs = opts.sliceMs ?? 25;
  const progressMs = opts.progressMs ?? 200;
  const yieldFn = opts.yieldToEvents ?? defaultYield;
  let sliceStart = performance.now();
  let lastProgress = -Infinity;
  let previous: T | undefined;
  if (opts.signal?.aborted) throw new CancelledError();
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    const now = performance.now();
    if (opts.onProgress && (now - lastProgress >= progressMs || opts.milestone?.(previous, r.value))) {
      lastProgress = now;
      opts.onProgress(r.value);
    }
    previous = r.value;
    if (now - sliceStart >= sliceMs) {
      await yieldFn();
      if (opts.signal?.aborted) {
        gen.return(undefined as never);
        throw new CancelledError();
      }
      sliceStart = performance.now();
    }
  }
}
