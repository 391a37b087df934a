/**
 * The typed contract between the UI thread and the inference worker. Plain data only: everything
 * here crosses postMessage (Blobs by reference, Float32Arrays transferred).
 */
import type { BackendChoice, BackendName, BackendSettings, EnvironmentFacts } from '../core/backend.ts';
import type { BundleManifest } from '../core/manifest.ts';
import type { SniffError } from '../core/imageSniff.ts';
import type { HeadRef } from '../core/cell.ts';
import type { ShiftStats } from '../core/shift/stats.ts';

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
  /** The active head's classes ([] for an encoder-only bundle until a lab head is set). */
  classes: string[];
  /** The active head (null: encoder-only bundle, no head yet). */
  head: HeadRef | null;
  /** Shift checks of the active head (null: off — no reference statistics for it). */
  shift: ShiftInfo | null;
  /** `<bundle id>:<encoder variant sha256>`: embeddings are comparable only within one encoder key. */
  encoderKey: string;
  /** The bundle's own head (null for an encoder-only bundle), e.g. to re-apply it to stored embeddings. */
  bundleHead: { classes: string[]; weight: Float32Array; bias: Float32Array } | null;
  precision: string;
  file: string;
  choice: BackendChoice;
  environment: EnvironmentFacts;
  loadMs: number;
  /** Cells per session.run chosen for this device (calibrated); classify() uses it when no batchSize is given. */
  batchSize?: number;
  /** The on-device calibration behind `choice` and `batchSize` (absent when it could not run). */
  calibration?: CalibrationInfo;
}

/** What the on-device calibration measured (src/inference/calibration.ts). */
export interface CalibrationInfo {
  /** true when the choice came from the cache of an earlier load */
  cached: boolean;
  choice: { backend: BackendName; threads: number; batchSize: number; msPerImage: number };
  trials: { backend: BackendName; threads: number; batchSize: number; msPerImage: number; runs: number }[];
  /** wall time the measurement took */
  tookMs: number;
  measuredAt: number;
  /** measured decode + resize cost of one typical cell (ms); the choice scores inference and this together */
  prepMs?: number;
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
  /**
   * Time the inference loop waited for decoded, preprocessed cells. When decoding runs in the decode
   * worker alongside inference, decodeMs/resizeMs are that worker's work and only waitMs delays the
   * batch; absent in older workers.
   */
  waitMs?: number;
}

export type CellOutcome =
  | {
      id: string;
      ok: true;
      probabilities: Float32Array;
      /** the encoder's output for this cell (raw, not normalised) */
      embedding: Float32Array;
      width: number;
      height: number;
      /** present when the model has reference statistics */
      shift?: { score: number; flagged: boolean };
      /** present for cell-centred models */
      framing?: { cellFound: boolean; note?: string };
      /** the bundle's encoder.secondView gave this cell a second, turned pass (its first view was unsure) */
      secondView?: true;
    }
  | { id: string; ok: false; reason: SniffError['reason'] | 'decode-failed' | 'inference-failed' | 'embedding-invalid'; message: string };

export interface BatchReport {
  outcomes: CellOutcome[];
  timings: StageTimings;
  /**
   * The head whose probabilities these outcomes carry (classify only; absent for embed jobs and in
   * older workers). It can differ from the page's active head for a moment after "Use this head".
   */
  head?: HeadRef | null;
  /** That head's classes, the order of the outcomes' probabilities. */
  classes?: string[];
}

export interface ClassifySummary {
  processed: number;
  cancelled: boolean;
  timings: StageTimings;
}

/** A lab head handed to the worker. */
export interface HeadSpec {
  ref: HeadRef;
  classes: string[];
  /** C × D, row-major */
  weight: Float32Array;
  bias: Float32Array;
  /** the head's own reference statistics (from its training cells); absent: shift checks off */
  shift?: ShiftStats;
}

export interface ShiftInfo {
  threshold: number;
  /** flag rate expected on the model's own kind of cells (the banner's "expected about y %") */
  expectedFlagRate: number;
  kind: string;
  /** the statistics themselves: the map's reference cells and the folders' batch offsets */
  stats: ShiftStats;
}

export interface InferenceWorkerApi {
  probeEnvironment(): Promise<EnvironmentFacts>;
  /** Starts the WASM runtime for these settings before a model is asked for (a no-op once one runs). */
  prestart(settings: BackendSettings): Promise<void>;
  loadBundle(source: BundleSource, settings: BackendSettings, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  inspectBundle(source: BundleSource): Promise<BundleManifest>;
  prepareImport(offer: BundleOffer, onProgress?: (p: LoadProgress) => void): Promise<{ manifest: BundleManifest; files: Record<string, Blob> }>;
  classify(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize?: number): Promise<ClassifySummary>;
  embed(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize?: number): Promise<ClassifySummary>;
  setHead(spec: HeadSpec | null): { classes: string[]; head: HeadRef | null; shift: ShiftInfo | null };
  cancel(jobId: string): void;
  /** Resolves once the worker holds the Web Lock `name`, which it keeps until it dies. */
  holdLifeline(name: string): Promise<void>;
  dispose(): Promise<void>;
}
