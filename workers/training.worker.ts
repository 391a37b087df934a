/**
 * Thin worker entry for training lab heads: exposes src/core/training's TrainingEngine over comlink.
 * It receives only embeddings (transferred Float32Arrays), never images. Terminate the worker to
 * free its memory (src/inference/trainingClient.ts does, after each training).
 */
import * as Comlink from 'comlink';
import { TrainingEngine } from '../src/core/training/engine.ts';

class TrainingWorker extends TrainingEngine {
  /** Holds a Web Lock until this worker dies, so the page notices any kind of death (see trainingClient.ts). */
  holdLifeline(name: string): Promise<void> {
    return new Promise((resolve) => {
      void navigator.locks.request(name, () => {
        resolve();
        return new Promise<never>(() => {});
      });
    });
  }
}

// the page's view of this API: TrainingWorkerApi in src/inference/trainingClient.ts
Comlink.expose(new TrainingWorker());
