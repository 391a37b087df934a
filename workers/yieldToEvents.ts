/**
 * Lets the worker handle its pending messages. A single-threaded session.run blocks this thread and
 * resolves through microtasks only, so a loop of runs (warm-up, calibration on this worker's own
 * session) would otherwise keep a classify or cancel request waiting until the whole loop ends —
 * measured: a cell dropped right after load waited the full 1.5 s warm-up. A MessageChannel task,
 * unlike setTimeout(0), is not clamped to 4 ms when nested.
 */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}
