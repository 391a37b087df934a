/** Thin worker entry: exposes one typed engine over comlink. Terminate the worker to free WASM memory. */
import * as Comlink from 'comlink';
import { InferenceEngine } from './engine.ts';

class InferenceWorker extends InferenceEngine {
  /** Holds a Web Lock until this worker dies, so the page notices any kind of death (see client.ts). */
  holdLifeline(name: string): Promise<void> {
    return new Promise((resolve) => {
      void navigator.locks.request(name, () => {
        resolve();
        return new Promise<never>(() => {});
      });
    });
  }
}

Comlink.expose(new InferenceWorker());
