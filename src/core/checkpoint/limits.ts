/**
 * What the in-browser converter accepts, and why not the rest. DinoBloom-S and -B are converted (their
 * templates ship with the app); L and G are refused before anything heavy happens, with the memory
 * they would need — measured, not guessed (see the figures below and README "Using the real DinoBloom
 * weights"); other sizes are not DinoBloom.
 */
import { CheckpointError } from './errors.ts';
import type { LoadedCheckpoint } from './layout.ts';

export type ConvertibleSize = 'S' | 'B';
export const CONVERTIBLE: readonly ConvertibleSize[] = ['S', 'B'];

/** The Python converter's thresholds (tools/dinobloom/convert.py). */
export const INT8_MIN_COSINE = 0.99;
export const FP16_MIN_COSINE = 0.99;

/** The renderer memory a conversion may take (the goal for B). */
export const RENDERER_BUDGET_BYTES = 1.5e9;

/**
 * Peak renderer memory (resident memory of the tab's renderer process, page and all its workers
 * included: the app with its default model loaded, the conversion and hashing workers, ORT's WASM
 * heap) while converting random-weight checkpoints through the UI in Chromium 156 on the development
 * machine (2 cores, 24 GiB): `npm run bench:convert`, bench/results/convert-2026-12-01T22-27-*.
 * The peak is the fp32 verification session (weights once in JS, once in WASM).
 */
export const MEASURED_PEAK: Record<ConvertibleSize, { parameters: number; bytes: number }> = {
  S: { parameters: 22_056_576, bytes: 935_288_832 },
  B: { parameters: 86_580_480, bytes: 1_471_967_232 },
};

/** Peak memory for a model of this many parameters: the line through the S and B measurements. */
export function estimatedPeakBytes(parameters: number): number {
  const { S, B } = MEASURED_PEAK;
  const slope = (B.bytes - S.bytes) / (B.parameters - S.parameters);
  return B.bytes + slope * (parameters - B.parameters);
}

const gb = (n: number): string => `${(n / 1e9).toFixed(1)} GB`;

/** Why this checkpoint is not converted in the browser (null: it is). */
export function refuseInBrowser(ck: LoadedCheckpoint): CheckpointError | null {
  if (ck.size === 'S' || ck.size === 'B') return null;
  const p = `${(ck.parameters / 1e6).toFixed(0)} M parameters`;
  if (ck.size === 'L' || ck.size === 'G') {
    const need = estimatedPeakBytes(ck.parameters);
    const onnx = ck.parameters * 4;
    const limit =
      ck.size === 'G'
        ? ` Its fp32 encoder alone (${gb(onnx)}) is also over the 2 GB single-file ONNX limit, so no converter makes a bundle of it.`
        : ' Convert it on a workstation with Python (`npm run convert`) if you need it; DinoBloom-S and -B convert here.';
    return new CheckpointError(
      'unsupported',
      `${ck.name}: DinoBloom-${ck.size} (${p}) is too large to convert in a browser tab: it would need about ${gb(need)} of memory ` +
        `(measured: converting DinoBloom-B, ${(MEASURED_PEAK.B.parameters / 1e6).toFixed(0)} M parameters, peaks at ${(MEASURED_PEAK.B.bytes / 1e9).toFixed(2)} GB), ` +
        `over the ${gb(RENDERER_BUDGET_BYTES)} a tab may use.${limit} Nothing was stored.`,
    );
  }
  return new CheckpointError(
    'unsupported',
    `${ck.name}: a DINOv2 ViT of a size DinoBloom does not have (${ck.variant}, ${p}); the in-browser converter builds DinoBloom-S (D=384) and DinoBloom-B (D=768)`,
  );
}

/** The Python converter's messages, reworded where they point at a command-line flag. */
export function browserMessage(e: unknown): unknown {
  if (e instanceof CheckpointError && /pass the number of attention heads \(--num-heads\)$/.test(e.message)) {
    return new CheckpointError('unsupported', e.message.replace(/; pass the number of attention heads \(--num-heads\)$/, ': not DinoBloom-S (384) or -B (768), which is what the in-browser converter builds'));
  }
  return e;
}

/** Bytes the stored bundle takes: fp32 (4 bytes a parameter) + int8 (1) [+ fp16 (2)]. */
export function bundleBytesEstimate(parameters: number, fp16: boolean): number {
  return parameters * (5 + (fp16 ? 2 : 0));
}

/** A refusal before converting when the browser's storage estimate says the bundle will not fit. */
export function storageShortfall(ck: Pick<LoadedCheckpoint, 'parameters' | 'size'>, name: string, est: { quota?: number; usage?: number } | undefined, fp16: boolean): CheckpointError | null {
  if (!est?.quota || est.usage === undefined) return null;
  const need = bundleBytesEstimate(ck.parameters, fp16);
  const free = est.quota - est.usage;
  if (free >= need) return null;
  const mb = (n: number): string => `${Math.round(n / 1e6)} MB`;
  return new CheckpointError(
    'unsupported',
    `${name}: not enough browser storage for the converted DinoBloom-${ck.size} (about ${mb(need)}; ${mb(Math.max(0, free))} free). Nothing was converted; free space (Models → Storage) or remove another model.`,
  );
}
