/**
 * Training benchmark: seconds to train a lab head (stratified 5-fold evaluation with nested C choice
 * + kNN k = 1/20 + temperature scaling + the final fit: everything the lab waits for) on n × d
 * random-but-structured embeddings (bench/lib/trainingData.ts), with the training worker's own code:
 *   - in Chromium: workers/training.worker.ts's TrainingEngine in a dedicated Web Worker (bundled
 *     with Vite from bench/lib/trainingWorker.ts), data generated inside the worker;
 *   - natively: the same TrainingEngine.train in Node (what `npm run train-head` runs).
 * Optionally also on a real embeddings file (`--training-embeddings file.emb`, e.g. `npm run embed`
 * of PBC train), in Node.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { build } from 'vite';
import { decodeEmbeddingsFile } from '../../src/core/training/embeddingsFile.ts';
import { TrainingEngine } from '../../src/core/training/engine.ts';
import { stageRecorder, structuredEmbeddings, summarise, type TrainingRun, type TrainingSpec } from './trainingData.ts';

export type { TrainingRun } from './trainingData.ts';

async function nodeRun(data: string, job: { classes: string[]; embeddings: Float32Array; labels: Int32Array; dim: number }): Promise<TrainingRun> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const rec = stageRecorder(t0);
  const r = await new TrainingEngine().train({ jobId: 'bench', ...job }, rec.onProgress);
  const cpu = process.cpuUsage(cpu0);
  return { ...summarise('node', data, r, (performance.now() - t0) / 1000, rec.stages), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Bundle the benchmark worker (src/core/training + the data generator) for the browser. */
async function buildWorker(repo: string, outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: repo,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: 'es2022',
      lib: { entry: join(repo, 'bench/lib/trainingWorker.ts'), formats: ['es'], fileName: () => 'worker.js' },
    },
  });
  writeFileSync(join(outDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>training bench</title>\n');
}

export interface TrainingBenchOptions {
  browser: Browser;
  origin: string;
  /** URL prefix the built worker folder is served under, e.g. "/training-bench/" */
  prefix: string;
  spec: TrainingSpec;
  /** an embeddings file to time as well (Node) */
  embeddingsFile?: string;
  log: (s: string) => void;
}

export async function prepareTrainingBench(repo: string, cache: string): Promise<string> {
  const dir = join(cache, 'training-bench');
  mkdirSync(dir, { recursive: true });
  await buildWorker(repo, dir);
  return dir;
}

export async function runTrainingBench(o: TrainingBenchOptions): Promise<TrainingRun[]> {
  const { spec } = o;
  const label = `random structured ${spec.n} × ${spec.d}, ${spec.classes} classes (seed ${spec.seed})`;
  const out: TrainingRun[] = [];

  o.log(`  training in Chromium (Web Worker): ${label}…`);
  const page = await (await o.browser.newContext()).newPage();
  try {
    await page.goto(`${o.origin}${o.prefix}index.html`);
    const r = await page.evaluate(
      (s) =>
        new Promise<unknown>((resolve, reject) => {
          const w = new Worker('./worker.js', { type: 'module' });
          w.onmessage = (e: MessageEvent) => ((e.data as { error?: string }).error ? reject(new Error((e.data as { error: string }).error)) : resolve(e.data));
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage(s);
        }),
      spec,
    );
    const run = { ...(r as TrainingRun), data: label };
    out.push(run);
    o.log(`    ${run.seconds.toFixed(1)} s (evaluation ${run.evaluationSeconds.toFixed(1)} s, final ${run.finalSeconds.toFixed(1)} s), C ${run.C}`);
  } finally {
    await page.context().close();
  }

  o.log(`  training in Node: ${label}…`);
  const data = structuredEmbeddings(spec);
  const node = await nodeRun(label, { ...data, dim: spec.d });
  out.push(node);
  o.log(`    ${node.seconds.toFixed(1)} s, ${node.cpuSeconds!.toFixed(1)} CPU s (evaluation ${node.evaluationSeconds.toFixed(1)} s, final ${node.finalSeconds.toFixed(1)} s), C ${node.C}`);

  if (o.embeddingsFile) {
    const f = decodeEmbeddingsFile(new Uint8Array(readFileSync(o.embeddingsFile)), o.embeddingsFile);
    const what = `${o.embeddingsFile} (${f.header.bundleId}, ${f.header.n} × ${f.header.d})`;
    o.log(`  training in Node: ${what}…`);
    const real = await nodeRun(what, { classes: f.header.classes, embeddings: f.embeddings, labels: f.labels, dim: f.header.d });
    out.push(real);
    o.log(`    ${real.seconds.toFixed(1)} s, C ${real.C}, balanced accuracy ${(100 * (real.balancedAccuracy ?? 0)).toFixed(1)}%`);
  }
  return out;
}
