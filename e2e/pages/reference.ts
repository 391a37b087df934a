/**
 * The native reference the browser is compared with: the same bundle file through onnxruntime-node,
 * decoded like PIL (tools/cli/lib.ts) and preprocessed by the app's own src/core/preprocess.ts.
 */
import path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/config.ts';
import { applyHead } from '../../src/core/head.ts';
import { preprocess, type RasterImage } from '../../src/core/preprocess.ts';
import { decodeImage, loadEncoder, loadHead, runEncoder } from '../../tools/cli/lib.ts';

export const DEFAULT_BUNDLE = path.resolve(import.meta.dirname, '../../public/models', DEFAULT_MODEL_ID);
export const TINY_BUNDLE = path.resolve(import.meta.dirname, '../../public/models/test-tiny-dinov2');

export async function nativeModel(bundleDir: string, precision: 'int8' | 'fp32') {
  const enc = await loadEncoder(bundleDir, { precision, threads: 1 });
  const head = await loadHead(bundleDir, enc.manifest);
  const per = 3 * enc.spec.size * enc.spec.size;
  const predict = async (images: RasterImage[]): Promise<number[][]> => {
    const input = new Float32Array(images.length * per);
    images.forEach((im, i) => preprocess(im, enc.spec, input, i * per));
    const p = applyHead(head, await runEncoder(enc, input, images.length), images.length);
    const C = head.classes.length;
    return images.map((_, i) => Array.from(p.subarray(i * C, (i + 1) * C)));
  };
  return {
    manifest: enc.manifest,
    spec: enc.spec,
    classes: head.classes,
    /** class probabilities for each decoded image, one batch */
    predict,
    /** class → probability for each file (decoded like PIL), keyed by base name */
    async predictFiles(files: string[]): Promise<Map<string, Record<string, number>>> {
      const probs = await predict(await Promise.all(files.map((f) => decodeImage(f))));
      return new Map(files.map((f, i) => [path.basename(f), Object.fromEntries(head.classes.map((c, j) => [c, probs[i]![j]!]))]));
    },
  };
}

export const maxAbsDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
export const argmax = (p: number[]): number => p.indexOf(Math.max(...p));
