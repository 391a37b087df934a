/**
 * Browser side of the training benchmark (bench/lib/training.ts): a dedicated worker that makes the
 * benchmark's embeddings and trains on them with TrainingEngine, the class workers/training.worker.ts
 * exposes to the app, through the same cooperative path (runSteps yielding to the event loop).
 */
import { TrainingEngine } from '../../src/core/training/engine.ts';
import { stageRecorder, structuredEmbeddings, summarise, type TrainingSpec } from './trainingData.ts';

self.onmessage = async (e: MessageEvent<TrainingSpec>) => {
  try {
    const spec = e.data;
    const data = structuredEmbeddings(spec);
    const t0 = performance.now();
    const rec = stageRecorder(t0);
    const r = await new TrainingEngine().train({ jobId: 'bench', ...data, dim: spec.d }, rec.onProgress);
    self.postMessage(summarise('browser', '', r, (performance.now() - t0) / 1000, rec.stages));
  } catch (err) {
    self.postMessage({ error: String((err as Error)?.message ?? err) });
  }
};
