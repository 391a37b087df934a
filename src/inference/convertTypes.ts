/**
 * The typed contract between the page and the checkpoint conversion worker (workers/convert.worker.ts).
 * Plain data only: the checkpoint File and the built encoder Blobs cross postMessage by reference.
 */
import type { CheckpointErrorKind } from '../core/checkpoint/errors.ts';
import type { CheckpointLayout } from '../core/checkpoint/layout.ts';
import type { BundleManifest } from '../core/manifest.ts';

/** read: parse + sha256 of the file · build: fp32 (+ fp16) encoders · quantize: int8 · verify: fp32 vs int8 on crops · store: IndexedDB */
export type ConvertStage = 'read' | 'build' | 'quantize' | 'verify' | 'store';
export const CONVERT_STAGES: readonly ConvertStage[] = ['read', 'build', 'quantize', 'verify', 'store'];

export interface ConvertProgress {
  stage: ConvertStage;
  /** 0..1 within the stage */
  fraction: number;
  detail?: string;
}

export interface ConvertOptions {
  /** 'auto': build the fp16 (WebGPU) variant only where the GPU has shader-f16, and verify it there */
  fp16: 'auto' | 'yes' | 'no';
  /** bundle id (default dinobloom-s / dinobloom-b) */
  id?: string;
}

export interface VerificationFigures {
  /** what ran: crops and runtime */
  inputs: string;
  /** fp32 vs this variant */
  minCosine: number;
  meanCosine: number;
  maxAbsDiff: number;
}

export interface ConvertReport {
  layout: CheckpointLayout;
  size: 'S' | 'B';
  variant: string;
  parameters: number;
  sourceBytes: number;
  sourceSha256: string;
  /** label of the published file this is, when its sha256 is a known one */
  official?: string;
  notes: string[];
  /** which int8 recipe passed (the Python converter's order) */
  int8Recipe: string;
  verification: Partial<Record<'int8' | 'fp16', VerificationFigures>>;
  /** how many verification crops the variants ran on */
  crops: number;
  /** session-creation and run times of each verified file */
  verifyDetail?: string;
  /** why no fp16 variant was built, when none was */
  fp16Skipped?: string;
  /** wall time per stage, ms */
  timings: Partial<Record<ConvertStage, number>>;
}

export interface ConvertResult {
  manifest: BundleManifest;
  /** manifest.json and the encoder files */
  files: Record<string, Blob>;
  report: ConvertReport;
}

export type ConvertOutcome =
  | { ok: true; result: ConvertResult }
  | { ok: false; kind: CheckpointErrorKind | 'cancelled' | 'failed'; message: string };

export interface ConvertWorkerApi {
  convert(jobId: string, file: File, opts: ConvertOptions, onProgress?: (p: ConvertProgress) => void): Promise<ConvertOutcome>;
  cancel(jobId: string): void;
}
