/**
 * On-device calibration: which backend, how many WASM threads and which batch size run this model
 * fastest on this machine. Measured once per (model variant files, device facts) at first load and
 * cached in IndexedDB; the worker reads the cache on later loads.
 *
 * Everything here is pure or injectable (clock, run function, storage) so it is unit-tested in Node;
 * the worker supplies the real session runs (workers/engine.ts, workers/calibrate.worker.ts).
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { autoThreads, isSoftwareAdapter, type BackendName, type BackendSettings, type EnvironmentFacts } from '../core/backend.ts';

/** Bump when the measurement or the choice rule changes: old cached choices are then ignored. */
export const CALIBRATION_VERSION = 3;
/** A cached choice older than this is measured again (browsers and ORT builds change). */
export const CALIBRATION_MAX_AGE_MS = 14 * 24 * 3600 * 1000;
export const BATCH_CANDIDATES: readonly number[] = [1, 2, 4, 8, 16];
/** Configurations within this fraction of the fastest count as equally fast. */
export const TIE_TOLERANCE = 0.05;

export interface Candidate {
  backend: BackendName;
  threads: number;
}

export interface Trial extends Candidate {
  batchSize: number;
  /** best (lowest) per-image time over the timed runs at this batch size */
  msPerImage: number;
  runs: number;
}

export interface TuningChoice extends Candidate {
  batchSize: number;
  msPerImage: number;
}

export interface CalibrationRecord {
  key: string;
  version: number;
  measuredAt: number;
  choice: TuningChoice;
  trials: Trial[];
  /** wall time the calibration took */
  tookMs: number;
  /** measured decode + resize cost of one typical cell (ms), used to score the pipeline */
  prepMs?: number;
}

/** What the benchmark may force (stored under OVERRIDE_KEY); never written by the app itself. */
export interface TuningOverride {
  backend?: BackendName;
  threads?: number;
  batchSize?: number;
  /** which onnxruntime-web build runs the WASM backend: the plain CPU build (default) or the JSEP build */
  ortBuild?: 'wasm' | 'jsep';
  /** decode the next batch while the current one is in inference (default true) */
  overlapDecode?: boolean;
}

export interface CalibrationKeyFacts {
  modelId: string;
  modelVersion: string;
  /** sha256 of every encoder variant that a candidate may use */
  variantSha256: string[];
  env: Pick<EnvironmentFacts, 'crossOriginIsolated' | 'hardwareConcurrency' | 'gpu'>;
  settings: BackendSettings;
}

export function calibrationKey(f: CalibrationKeyFacts): string {
  const gpu = f.env.gpu ? `${f.env.gpu.vendor}/${f.env.gpu.architecture}/${f.env.gpu.description}` : 'nogpu';
  const shas = [...f.variantSha256].sort().map((s) => s.slice(0, 12)).join('+');
  return [
    `v${CALIBRATION_VERSION}`,
    `${f.modelId}@${f.modelVersion}`,
    shas,
    `hc${f.env.hardwareConcurrency}`,
    f.env.crossOriginIsolated ? 'coi' : 'nocoi',
    gpu,
    `s:${f.settings.backend}/${f.settings.threads ?? 'auto'}`,
  ].join('|');
}

/**
 * Backend × thread configurations worth measuring, honouring explicit settings. WASM: the automatic
 * thread count T (all cores up to 4 when isolated) and ceil(T/2) — the half leaves cores for decoding
 * and the page, and wins on busy machines; WebGPU only for a hardware adapter with a WebGPU variant.
 */
export function calibrationCandidates(
  env: EnvironmentFacts,
  available: { wasm: boolean; webgpu: boolean },
  settings: BackendSettings,
): Candidate[] {
  const out: Candidate[] = [];
  const hardwareGpu = env.gpu !== null && !isSoftwareAdapter(env.gpu);
  if (available.webgpu && env.gpu && (settings.backend === 'webgpu' || (settings.backend === 'auto' && hardwareGpu))) {
    out.push({ backend: 'webgpu', threads: 1 });
  }
  if (available.wasm && settings.backend !== 'webgpu') {
    if (settings.threads !== null && settings.threads >= 1) {
      out.push({ backend: 'wasm', threads: env.crossOriginIsolated ? Math.min(Math.floor(settings.threads), 16) : 1 });
    } else {
      const t = autoThreads(env);
      for (const n of new Set([t, Math.ceil(t / 2)])) out.push({ backend: 'wasm', threads: n });
    }
  }
  return out;
}

export interface MeasureOptions {
  batchSizes?: readonly number[];
  /** stop trying larger batches once this much time has been spent measuring (batch 1 is always measured) */
  budgetMs?: number;
  /** timed runs of each candidate at each batch size, interleaved across candidates (A B A B …): at
   *  least `reps`, more (up to maxReps) while a run is shorter than `minMeasureMs / reps` */
  reps?: number;
  maxReps?: number;
  minMeasureMs?: number;
  /** untimed warm-up runs per candidate at batch 1: at least this many … */
  warmup?: number;
  /** … and at least this much run time, and until the last WARMUP_STABLE_RUNS runs agree (see warmUp) */
  warmupMs?: number;
  /** a candidate that is still not stable after this much warm-up time is measured anyway */
  maxWarmupMs?: number;
  now?: () => number;
  /** checked between runs: returning true abandons the measurement (returns null) */
  aborted?: () => boolean;
}

/** One configuration under test: `run(n)` runs one batch of n and resolves to its duration in ms. */
export interface CandidateRunner extends Candidate {
  run(n: number): Promise<number>;
}

/**
 * Chromium first runs WebAssembly on its baseline compiler (Liftoff) and recompiles the hot functions
 * with its optimising compiler (TurboFan) in the background. Until that has happened the same
 * session.run is 3–8× slower: on this project's 2-core machine the default CNN ran 37, 24, 15, 9 …
 * ms/cell in its first batches and 4.5–5 once tiered up, which took about one second of inference.
 * Timing a candidate before that measures the compiler, not the configuration (the first calibration
 * picked 1 thread, batch 2 that way: half the throughput of the right choice). So a candidate is
 * warm after at least WARMUP_MS of runs and once its last WARMUP_STABLE_RUNS runs agree within
 * WARMUP_STABLE_SPREAD.
 */
export const WARMUP_MS = 1500;
export const MAX_WARMUP_MS = 8000;
export const WARMUP_STABLE_RUNS = 3;
export const WARMUP_STABLE_SPREAD = 0.2;

/** Runs untimed batches of 1 on every runner (interleaved) until each is warm; returns a typical run time of each, or null when aborted. */
export async function warmUp(runners: readonly Pick<CandidateRunner, 'run'>[], opts: Pick<MeasureOptions, 'warmup' | 'warmupMs' | 'maxWarmupMs' | 'aborted'>): Promise<number[] | null> {
  const minRuns = Math.max(WARMUP_STABLE_RUNS, opts.warmup ?? 2);
  const minMs = opts.warmupMs ?? WARMUP_MS;
  const maxMs = Math.max(minMs, opts.maxWarmupMs ?? MAX_WARMUP_MS);
  const aborted = opts.aborted ?? (() => false);
  const spent = runners.map(() => 0);
  const recent: number[][] = runners.map(() => []);
  const warm = (i: number): boolean => {
    const r = recent[i]!;
    if (spent[i]! >= maxMs) return true;
    if (r.length < minRuns || spent[i]! < minMs) return false;
    const last = r.slice(-WARMUP_STABLE_RUNS);
    return Math.max(...last) <= Math.min(...last) * (1 + WARMUP_STABLE_SPREAD);
  };
  while (runners.some((_, i) => !warm(i))) {
    for (let i = 0; i < runners.length; i++) {
      if (warm(i)) continue;
      if (aborted()) return null;
      const ms = await runners[i]!.run(1);
      spent[i]! += ms;
      recent[i]!.push(ms);
      if (recent[i]!.length > WARMUP_STABLE_RUNS) recent[i]!.shift();
    }
  }
  return recent.map((r) => [...r].sort((a, b) => a - b)[Math.floor(r.length / 2)] ?? 0);
}

/**
 * Per-image inference time of every candidate at growing batch sizes, after a warm-up (see warmUp).
 * Runs are interleaved across candidates (A B A B …) so that drift — other programs' load — hits all
 * of them alike, and the best (lowest) run counts. Larger batches are tried until no candidate
 * improves by more than 3 % (per-image time plus its share of BATCH_OVERHEAD_MS) or the budget would
 * be overrun.
 */
export async function measureCandidates(runners: readonly CandidateRunner[], opts: MeasureOptions = {}): Promise<Trial[] | null> {
  const now = opts.now ?? (() => performance.now());
  const sizes = opts.batchSizes ?? BATCH_CANDIDATES;
  const budget = opts.budgetMs ?? 4000;
  const minReps = Math.max(1, opts.reps ?? 2);
  const maxReps = Math.max(minReps, opts.maxReps ?? 8);
  const minMeasure = opts.minMeasureMs ?? 200;
  const aborted = opts.aborted ?? (() => false);
  const typical = await warmUp(runners, opts);
  if (!typical) return null;
  let estimate = Math.max(...typical);
  const start = now();
  const trials: Trial[] = [];
  const best = new Map<CandidateRunner, number>();
  for (const n of sizes) {
    const reps = Math.min(maxReps, Math.max(minReps, Math.ceil(minMeasure / Math.max(estimate * n, 1e-3))));
    if (trials.length > 0 && now() - start + estimate * n * runners.length * minReps > budget) break;
    const times = runners.map(() => Infinity);
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < runners.length; i++) {
        if (aborted()) return null;
        times[i] = Math.min(times[i]!, (await runners[i]!.run(n)) / n);
      }
    }
    let improved = false;
    runners.forEach((r, i) => {
      const ms = times[i]!;
      trials.push({ backend: r.backend, threads: r.threads, batchSize: n, msPerImage: ms, runs: reps });
      // a larger batch also spreads the pipeline's fixed per-batch cost: count that too
      const score = ms + BATCH_OVERHEAD_MS / n;
      const prev = best.get(r);
      if (prev === undefined || score < prev * 0.97) improved = true;
      best.set(r, Math.min(prev ?? Infinity, score));
    });
    estimate = Math.max(...times);
    if (!improved) break;
  }
  return trials;
}

export interface PipelineFacts {
  /** decode + resize of one cell, ms (done by the decode worker, next to inference) */
  prepMs: number;
  cores: number;
}

/**
 * Fixed cost of a batch outside session.run (decode-worker round trip, posting results, the page
 * updating its store and IndexedDB), spread over the batch's cells: the default CNN at 1 thread ran
 * 95 cells/s at batch 1 and 128 at batch 8 in the app on 2 cores (tiered up), i.e. ~2.7 ms per batch.
 */
export const BATCH_OVERHEAD_MS = 3;

/**
 * Expected time per cell of the whole pipeline. Cells are decoded and resized in a decode worker
 * while the current batch is in inference: that overlaps when a core is left for it (WASM threads + 1
 * ≤ cores, or WebGPU), and otherwise competes with inference, so it adds up; plus the per-batch
 * overhead. Without pipeline facts: the inference time alone.
 */
export function pipelineMsPerCell(t: Pick<Trial, 'backend' | 'threads' | 'msPerImage' | 'batchSize'>, p?: PipelineFacts): number {
  if (!p) return t.msPerImage;
  const overlaps = t.backend === 'webgpu' || t.threads + 1 <= p.cores;
  return (overlaps ? Math.max(t.msPerImage, p.prepMs) : t.msPerImage + p.prepMs) + BATCH_OVERHEAD_MS / t.batchSize;
}

/**
 * Among near-ties, the batch closest to this one wins. Measured end to end in the app on 2 cores
 * (`npm run bench -- --tuning T:B`, 2026-12-07, 5 runs each, 200 PBC val cells): batch 4 was ~20 %
 * slower than batch 8 for both CNN defaults (v1 57.1 vs 68.8 cells/s, v4 48.7 vs 60.3) although
 * session.run alone timed them alike, and batch 16 was no better than 8 (74.1 / 55.1). The per-batch
 * cost outside session.run is larger than BATCH_OVERHEAD_MS models and not linear in the batch, so a tie
 * in the measured inference time is settled by what the whole app was measured to do best.
 */
export const PREFERRED_BATCH = 8;

/**
 * The configuration to use: the fastest pipeline (see pipelineMsPerCell), except that among
 * configurations within TIE_TOLERANCE of it the one with fewer threads, then the batch closest to
 * PREFERRED_BATCH (the smaller of two equally close), wins.
 */
export function pickBest(trials: readonly Trial[], pipeline?: PipelineFacts, tolerance = TIE_TOLERANCE): TuningChoice {
  if (trials.length === 0) throw new Error('pickBest: no trials');
  const score = (t: Trial): number => pipelineMsPerCell(t, pipeline);
  const fastest = Math.min(...trials.map(score));
  const close = trials.filter((t) => score(t) <= fastest * (1 + tolerance));
  const distance = (t: Trial): number => Math.abs(Math.log2(t.batchSize / PREFERRED_BATCH));
  close.sort((a, b) => a.threads - b.threads || distance(a) - distance(b) || a.batchSize - b.batchSize || score(a) - score(b));
  const c = close[0]!;
  return { backend: c.backend, threads: c.threads, batchSize: c.batchSize, msPerImage: c.msPerImage };
}

/** Short text for the UI's backend badge, e.g. "calibrated on this device: 2 threads, batch 4 (11 ms/cell)". */
export function describeChoice(c: Candidate & { batchSize: number; msPerImage?: number }, cached: boolean): string {
  const what = c.backend === 'wasm' ? `${c.threads} thread${c.threads === 1 ? '' : 's'}, batch ${c.batchSize}` : `batch ${c.batchSize}`;
  const ms = c.msPerImage !== undefined ? ` (${c.msPerImage.toFixed(c.msPerImage < 10 ? 1 : 0)} ms/cell inference)` : '';
  return `${cached ? 'calibrated earlier' : 'calibrated'} on this device: ${what}${ms}`;
}

export function isFresh(rec: CalibrationRecord | undefined, key: string, nowMs = Date.now()): rec is CalibrationRecord {
  return !!rec && rec.key === key && rec.version === CALIBRATION_VERSION && nowMs - rec.measuredAt < CALIBRATION_MAX_AGE_MS && rec.choice.batchSize >= 1;
}

// --------------------------------------------------------------------------------------------
// cache (IndexedDB through idb-keyval: available in the page and in workers)

export const OVERRIDE_KEY = 'override';
let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('dinobloom-calibration', 'calibration'));

export async function loadCalibration(key: string): Promise<CalibrationRecord | undefined> {
  const rec = await get<CalibrationRecord>(key, db());
  return isFresh(rec, key) ? rec : undefined;
}

export async function saveCalibration(rec: CalibrationRecord): Promise<void> {
  await set(rec.key, rec, db());
}

export async function forgetCalibration(key: string): Promise<void> {
  await del(key, db());
}

/**
 * The WASM thread count of the last calibration on this device, so the next load can start the
 * runtime (whose thread count is fixed at start) before the model's own calibration is looked up.
 */
export function threadsHintKey(env: Pick<EnvironmentFacts, 'crossOriginIsolated' | 'hardwareConcurrency'>, settings: BackendSettings): string {
  return `threads-hint|v${CALIBRATION_VERSION}|hc${env.hardwareConcurrency}|${env.crossOriginIsolated ? 'coi' : 'nocoi'}|s:${settings.backend}/${settings.threads ?? 'auto'}`;
}

export async function loadThreadsHint(key: string): Promise<number | undefined> {
  const v = await get<number>(key, db());
  return typeof v === 'number' && v >= 1 ? v : undefined;
}

export async function saveThreadsHint(key: string, threads: number): Promise<void> {
  await set(key, threads, db());
}

export async function loadOverride(): Promise<TuningOverride | undefined> {
  return get<TuningOverride>(OVERRIDE_KEY, db());
}
