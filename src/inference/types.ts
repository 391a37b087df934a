/**
 * The typed contract between the UI thread and the inference worker. Plain data only: everything
 * here crosses postMessage (Blobs by reference, Float32Arrays transferred).
 */
import type { BackendChoice, BackendSettings, EnvironmentFacts } from '../core/backend.ts';
import type { BundleManifest } from '../core/manifest.ts';
import type { SniffError } from '../core/imageSniff.ts';

/** What a user offers for import: dropped folder files, a .zip, or the URL of a manifest.json. */
export type BundleOffer =
  | { kind: 'files'; files: Record<string, Blob> }
  | { kind: 'zip'; zip: Blob; name: string }
  | { kind: 'url'; manifestUrl: string };

/** Where the worker reads a bundle from: a URL folder (built-in or intranet) or files in memory. */
export type BundleSource =
  | { kind: 'url'; baseUrl: string }
  | { kind: 'files'; files: Record<string, Blob> };

export interface LoadedModel {
  manifest: BundleManifest;
  classes: string[];
  precision: string;
  file: string;
  choice: BackendChoice;
  environment: EnvironmentFacts;
  loadMs: number;
}

export interface LoadProgress {
  stage: 'manifest' | 'download' | 'verify' | 'session';
  file?: string;
  loaded?: number;
  total?: number;
}

export interface CellInput {
  id: string;
  name: string;
  blob: Blob;
}

export interface StageTimings {
  decodeMs: number;
  resizeMs: number;
  inferenceMs: number;
  headMs: number;
}

export type CellOutcome =
  | { id: string; ok: true; probabilities: Float32Array; width: number; height: number }
  | { id: string; ok: false; reason: SniffError['reason'] | 'decode-failed' | 'inference-failed'; message: string };

export interface BatchReport {
  outcomes: CellOutcome[];
  timings: StageTimings;
}

export interface ClassifySummary {
  processed: number;
  cancelled: boolean;
  timings: StageTimings;
}

export interface InferenceWorkerApi {
  probeEnvironment(): Promise<EnvironmentFacts>;
  loadBundle(source: BundleSource, settings: BackendSettings, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  inspectBundle(source: BundleSource): Promise<BundleManifest>;
  prepareImport(offer: BundleOffer, onProgress?: (p: LoadProgress) => void): Promise<{ manifest: BundleManifest; files: Record<string, Blob> }>;
  classify(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize?: number): Promise<ClassifySummary>;
  cancel(jobId: string): void;
  dispose(): Promise<void>;
}
