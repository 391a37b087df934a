/**
 * The native reference: onnxruntime-node (CPU EP, its default thread count) on the same ONNX file and
 * the same cells, with the same preprocessing (src/core/preprocess.ts) and head: sharp decode →
 * resize → session.run → head, in batches, decoding the next batch while the current one runs (as
 * the Node CLI does). This is what a Python/Node script on the same machine gets.
 */
import { applyHead } from '../../src/core/head.ts';
import type { LinearHead } from '../../src/core/head.ts';
import type { Precision } from '../../src/core/manifest.ts';
import { preprocess, type RasterImage } from '../../src/core/preprocess.ts';
import { decodeImage, loadEncoder, loadHead, runEncoder, type LoadedEncoder } from '../../tools/cli/lib.ts';
import type { Cell } from './cells.ts';

export interface Stages {
  decodeMs: number;
  resizeMs: number;
  inferenceMs: number;
  headMs: number;
  /** time the inference loop waited for decoded + preprocessed cells (exposed preparation time) */
  waitMs?: number;
}

export interface RoundResult {
  cells: number;
  wallMs: number;
  cellsPerSec: number;
  /** summed per stage over the round (decode: time waiting for decoded pixels) */
  stages: Stages;
}

export interface NativeModel {
  enc: LoadedEncoder;
  head: LinearHead;
}

export async function loadNative(bundleDir: string, precision: Precision): Promise<NativeModel> {
  const enc = await loadEncoder(bundleDir, { precision });
  return { enc, head: await loadHead(bundleDir, enc.manifest) };
}

export async function nativeRound(m: NativeModel, cells: Cell[], batch = 8): Promise<RoundResult> {
  const { enc, head } = m;
  const s = enc.spec.size;
  const per = 3 * s * s;
  const input = new Float32Array(Math.min(batch, cells.length) * per);
  const stages: Stages = { decodeMs: 0, resizeMs: 0, inferenceMs: 0, headMs: 0, waitMs: 0 };
  const decodeBatch = (from: number): Promise<RasterImage[]> => Promise.all(cells.slice(from, from + batch).map((c) => decodeImage(c.buffer)));
  const t0 = performance.now();
  let next = cells.length ? decodeBatch(0) : null;
  let classified = 0;
  for (let from = 0; from < cells.length; from += batch) {
    let t = performance.now();
    const imgs = await next!;
    stages.decodeMs += performance.now() - t;
    stages.waitMs! += performance.now() - t;
    next = from + batch < cells.length ? decodeBatch(from + batch) : null;
    t = performance.now();
    imgs.forEach((img, i) => preprocess(img, enc.spec, input, i * per));
    stages.resizeMs += performance.now() - t;
    stages.waitMs! += performance.now() - t; // resize runs in the loop: exposed
    t = performance.now();
    const emb = await runEncoder(enc, input, imgs.length);
    stages.inferenceMs += performance.now() - t;
    t = performance.now();
    const probs = applyHead(head, emb, imgs.length);
    if (probs.length !== imgs.length * head.classes.length) throw new Error('head output has the wrong size');
    stages.headMs += performance.now() - t;
    classified += imgs.length;
  }
  const wallMs = performance.now() - t0;
  return { cells: classified, wallMs, cellsPerSec: (classified / wallMs) * 1000, stages };
}
