/**
 * The inference engine that lives in the worker: onnxruntime-web session + linear head.
 * ORT-web is imported only in workers/ (workers/ort.ts: one build, the default JSEP build, which runs
 * both the WASM and the WebGPU backend). Backend, WASM threads and batch size come from an on-device
 * calibration (src/inference/calibration.ts) made at a model's first load and cached.
 */
import type * as OrtModule from 'onnxruntime-web';
import { autoThreads, chooseBackend, isSoftwareAdapter, type BackendChoice, type BackendName, type BackendSettings, type EnvironmentFacts } from '../src/core/backend.ts';
import { BUNDLE_HEAD_ID, type HeadRef } from '../src/core/cell.ts';
import { applyHead, parseHeadJson, type LinearHead } from '../src/core/head.ts';
import type { CellFraming } from '../src/core/cell.ts';
import { readShiftStatsForBundle, shiftStatsMismatch } from '../src/core/shift/format.ts';
import type { ShiftStats } from '../src/core/shift/stats.ts';
import { createShiftScorer, INVALID_EMBEDDING_MESSAGE, type ShiftScorer } from '../src/core/shift/score.ts';
import { BundleError, pickVariant, type BundleManifest, type EncoderVariant } from '../src/core/manifest.ts';
import { checkModelIo } from '../src/core/modelIo.ts';
import { preprocessFramed, specFromInput } from '../src/core/preprocess.ts';
import { SecondViewQueue } from '../src/core/secondView.ts';
import {
  CALIBRATION_VERSION, calibrationCandidates, calibrationKey, describeChoice, loadCalibration, loadOverride, loadThreadsHint, measureCandidates, pickBest,
  saveCalibration, warmUp, saveThreadsHint, threadsHintKey,
  type Candidate, type CalibrationRecord, type Trial, type TuningOverride,
} from '../src/inference/calibration.ts';
import type {
  BatchReport, BundleOffer, BundleSource, CalibrationInfo, CellInput, CellOutcome, ClassifySummary, HeadSpec, InferenceWorkerApi, ShiftInfo, LoadedModel, LoadProgress, StageTimings,
} from '../src/inference/types.ts';
import { manifestFiles } from '../src/core/bundleExport.ts';
import { offerToFiles } from './bundleArchive.ts';
import { openBundle, readVerified, type BundleFiles } from './bundleReader.ts';
import { CandidateWorker } from './candidateWorker.ts';
import { decodeCellOrError } from './decode.ts';
import { DecodePool, measurePrep } from './decodePool.ts';
import type { DecodeReply } from './decode.worker.ts';
import { gpuFacts } from './gpuFacts.ts';
import { buildFor, loadedBuilds, loadOrt, ortThreadsOf, sessionOptions, startOrt, syntheticRunner, type Ort, type OrtBuild } from './ort.ts';
import { yieldToEvents } from './yieldToEvents.ts';

/** User-timing marks of the load phases (read by the benchmark); cleared at each load. */
function mark(name: string): void {
  if (name === 'load:start') performance.clearMarks();
  performance.mark(name);
}

/** The reference cells record for a bundle's own head: its id is fixed, its version the bundle's. */
function bundleHeadRef(manifest: BundleManifest): HeadRef {
  return { id: BUNDLE_HEAD_ID, name: manifest.head?.trainedOn ? `bundle head (${manifest.head.trainedOn})` : 'bundle head', version: manifest.version };
}

/**
 * The head that decides which cells get encoder.secondView: its own gate file when the manifest names
 * one (a bundle whose head was replaced), else the bundle's head (`ownHead`, already read). Null
 * without a second view.
 */
async function loadSecondViewGate(bundle: BundleFiles, manifest: BundleManifest, ownHead: LinearHead | null, onProgress?: (p: LoadProgress) => void): Promise<LinearHead | null> {
  const sv = manifest.encoder.secondView;
  if (!sv) return null;
  if (!sv.gate) return ownHead;
  const bytes = await readVerified(bundle, sv.gate, onProgress);
  try {
    return parseHeadJson(JSON.parse(new TextDecoder().decode(bytes)), undefined, manifest.embeddingDim);
  } catch (e) {
    throw new BundleError(`${sv.gate.file} (the second view's gate) is not a valid head: ${(e as Error).message}`, sv.gate.file);
  }
}

/** The head one batch is classified with, and the shift checks that belong to it. */
interface ActiveHead {
  head: LinearHead;
  ref: HeadRef | null;
  shift: ActiveShift | null;
}

/** A cell of a batch that decoded: what its outcome needs besides the embedding. */
interface GoodCell {
  id: string;
  width: number;
  height: number;
  framing?: CellFraming;
}

/** What the page needs of the active shift checks (null: off). */
interface ActiveShift {
  scorer: ShiftScorer;
  stats: ShiftStats;
}

function activeShift(stats: ShiftStats): ActiveShift {
  return { scorer: createShiftScorer(stats), stats };
}

function shiftInfo(s: ActiveShift | null): ShiftInfo | null {
  return s ? { threshold: s.scorer.threshold, expectedFlagRate: s.scorer.expectedFlagRate, kind: s.scorer.kind, stats: s.stats } : null;
}

/** The bundle's reference statistics, checked (size, sha256, dimension, encoder) before they are used. */
async function loadShiftScorer(bundle: Awaited<ReturnType<typeof openBundle>>, manifest: BundleManifest, onProgress?: (p: LoadProgress) => void): Promise<ActiveShift> {
  const entry = manifest.shift!;
  const bytes = await readVerified(bundle, entry, onProgress);
  try {
    return activeShift(readShiftStatsForBundle(bytes, manifest));
  } catch (e) {
    throw new BundleError(`${entry.file}: ${(e as Error).message}`, entry.file);
  }
}

/** Index of the first non-finite value of a row, or -1. */
function firstNonFinite(a: Float32Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (!Number.isFinite(a[i]!)) return i - from;
  return -1;
}

const zeroTimings = (): StageTimings => ({ decodeMs: 0, resizeMs: 0, inferenceMs: 0, headMs: 0 });
const addTimings = (a: StageTimings, b: StageTimings): void => {
  a.decodeMs += b.decodeMs; a.resizeMs += b.resizeMs; a.inferenceMs += b.inferenceMs; a.headMs += b.headMs;
  a.waitMs = (a.waitMs ?? 0) + (b.waitMs ?? 0);
};

/**
 * Cumulative counters on the worker's global scope, read by `npm run bench` (Playwright
 * `worker.evaluate(() => self.__dinobloomStats)`). Plain numbers, bounded size.
 */
export interface EngineStats {
  jobs: number;
  cells: number;
  /** cells that got the bundle's second view (encoder.secondView) */
  secondViewCells: number;
  batches: number;
  /** wall time spent inside classify() */
  busyMs: number;
  timings: StageTimings;
  batchSize: number;
  overlapDecode: boolean;
  ortBuild: OrtBuild | null;
  calibration: CalibrationInfo | null;
  /** when the last job ended (performance.timeOrigin + now, i.e. ms since the epoch) */
  lastBatchEndEpochMs: number;
  /** when each batch ended, epoch ms, for the last 2,000 batches */
  batchEndsEpochMs: number[];
  /** session.run time per cell of each of the last 2,000 batches (shows the WASM tier-up, see warmUp) */
  batchInferenceMsPerCell: number[];
  /** the last idle warm-up of a freshly loaded session: how long it ran, and whether it finished */
  warmUp: { ms: number; completed: boolean } | null;
}
const stats: EngineStats = {
  jobs: 0, cells: 0, secondViewCells: 0, batches: 0, busyMs: 0, timings: { ...zeroTimings(), waitMs: 0 }, batchSize: 0, overlapDecode: true, ortBuild: null, calibration: null,
  lastBatchEndEpochMs: 0, batchEndsEpochMs: [], batchInferenceMsPerCell: [], warmUp: null,
};
(self as unknown as { __dinobloomStats: EngineStats }).__dinobloomStats = stats;

/** What a background calibration needs; kept from loadBundle until it has run. */
interface PendingCalibration {
  key: string;
  manifest: BundleManifest;
  candidates: Candidate[];
  variantFor: (b: BackendName) => EncoderVariant | undefined;
  bundle: Awaited<ReturnType<typeof openBundle>>;
  /** the configuration this worker's session runs */
  current: Candidate;
  hintKey: string;
}

/** How long the early runtime start waits for the cached thread count before using the rule-based one. */
const EARLY_START_WAIT_MS = 60;
/** Default batch before (or without) a calibration. */
const DEFAULT_BATCH = 8;
/** Idle time after a load before the session's warm-up starts (lets the page finish its own start-up first). */
const WARM_UP_DELAY_MS = 200;
/** Idle time after load / after a job before the background calibration starts. */
const CALIBRATION_DELAY_MS = 1500;

export class InferenceEngine implements Omit<InferenceWorkerApi, 'holdLifeline'> {
  private session: OrtModule.InferenceSession | null = null;
  private ort: Ort | null = null;
  /** The head classify() applies: the bundle's own or a lab head set with setHead(). */
  private head: LinearHead | null = null;
  private headRef: HeadRef | null = null;
  /** The bundle's own head (null for an encoder-only bundle), restored by setHead(null). */
  private bundleHead: { head: LinearHead; ref: HeadRef } | null = null;
  /** the head that decides encoder.secondView (its own gate file, else the bundle's head) */
  private gate: LinearHead | null = null;
  /** Shift checks of the active head: the bundle's statistics, or a lab head's own (null: checks off). */
  private shift: ActiveShift | null = null;
  private bundleShift: ActiveShift | null = null;
  private manifest: BundleManifest | null = null;
  private environment: EnvironmentFacts | null = null;
  private batchSize = DEFAULT_BATCH;
  private overlapDecode = true;
  private current: Candidate | null = null;
  /** `<bundle id>:<encoder variant sha256>`: which encoder made an embedding (int8 and fp32 differ). */
  private encoderKey = '';
  private readonly cancelled = new Set<string>();
  private activeJobs = 0;
  private pending: PendingCalibration | null = null;
  private calibrationTimer: ReturnType<typeof setTimeout> | null = null;
  private calibrating = false;
  private abortCalibration = false;
  private decodePool: DecodePool | null = null;
  /** session.run calls of this worker, one at a time (a job's batch waits for an idle warm-up run to end) */
  private sessionQueue: Promise<unknown> = Promise.resolve();

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const p = this.sessionQueue.then(f, f);
    this.sessionQueue = p.catch(() => {});
    return p;
  }

  async probeEnvironment(): Promise<EnvironmentFacts> {
    this.environment ??= {
      crossOriginIsolated: self.crossOriginIsolated === true,
      hardwareConcurrency: self.navigator.hardwareConcurrency || 1,
      gpu: await gpuFacts(),
    };
    return this.environment;
  }

  /**
   * Starts the WASM runtime for `settings` before any model is asked for: the page calls this as soon
   * as it has read its settings, so the runtime's .wasm compiles while the page restores the open case
   * and picks the model (on a repeat visit the first cell waited for the runtime, not for the model).
   * A no-op once a runtime runs; the thread count is the one loadBundle's own early start would use.
   */
  async prestart(settings: BackendSettings): Promise<void> {
    const env = await this.probeEnvironment();
    await this.startRuntimeEarly(env, settings, loadOverride().catch(() => undefined), threadsHintKey(env, settings));
  }

  /**
   * Start the WASM runtime now, in parallel with the manifest and model downloads, unless a WebGPU
   * session is likely; its thread count is the last calibrated one on this device (or the rule-based
   * one) — a model whose calibration prefers another count gets it at the next start.
   */
  private startRuntimeEarly(env: EnvironmentFacts, settings: BackendSettings, overrideP: Promise<TuningOverride | undefined>, hintKey: string): Promise<void> {
    const likelyWebgpu = settings.backend === 'webgpu' || (settings.backend === 'auto' && env.gpu !== null && !isSoftwareAdapter(env.gpu));
    if (loadedBuilds().length > 0 || likelyWebgpu) return Promise.resolve();
    // A first visit creates the IndexedDB database, which can take hundreds of ms on a busy machine:
    // do not hold the runtime back for the hint longer than EARLY_START_WAIT_MS.
    const within = <T,>(p: Promise<T>): Promise<T | undefined> =>
      Promise.race([p, new Promise<undefined>((ok) => setTimeout(() => ok(undefined), EARLY_START_WAIT_MS))]);
    return Promise.all([within(overrideP), within(loadThreadsHint(hintKey).catch(() => undefined))]).then(([o, hint]) => {
      if (loadedBuilds().length > 0 || o?.backend === 'webgpu') return;
      const threads = o?.threads ?? (settings.threads !== null ? settings.threads : (hint ?? autoThreads(env)));
      startOrt(buildFor('wasm', o), threads).catch(() => {});
    });
  }

  async loadBundle(source: BundleSource, settings: BackendSettings, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel> {
    const t0 = performance.now();
    mark('load:start');
    const env = await this.probeEnvironment();
    mark('load:env');
    const hintKey = threadsHintKey(env, settings);
    const overrideP = loadOverride().catch(() => undefined);
    const early = this.startRuntimeEarly(env, settings, overrideP, hintKey);
    onProgress?.({ stage: 'manifest' });
    const bundle = await openBundle(source);
    mark('load:manifest');
    const { manifest } = bundle;
    const hasFor = (b: BackendName) => manifest.encoder.variants.some((v) => v.backends.includes(b));
    const available = { wasm: hasFor('wasm'), webgpu: hasFor('webgpu') };
    const base = chooseBackend(env, available, settings);
    const variantFor = (b: BackendName): EncoderVariant | undefined => pickVariant(manifest, b, { shaderF16: env.gpu?.shaderF16 ?? false });
    if (!variantFor(base.backend)) throw new BundleError(`"${manifest.name}" has no encoder variant for ${base.backend}.`, 'manifest.json');
    // Read the encoder the rule-based choice runs while the calibration cache is looked up (a first
    // visit creates the database, which took 1–2 s on a busy machine); a cached choice of another
    // backend reads its own variant below.
    const likelyVariant = variantFor(base.backend)!;
    const likelyModel = readVerified(bundle, likelyVariant, onProgress);
    likelyModel.catch(() => {}); // awaited below only when this variant is the one chosen

    // An encoder-only bundle (e.g. converted from a checkpoint) loads too: it embeds cells for
    // training a lab head, and classifies once a head is set.
    let bundleHead: { head: LinearHead; ref: HeadRef } | null = null;
    if (manifest.head) {
      const headBytes = await readVerified(bundle, manifest.head, onProgress);
      const head = parseHeadJson(JSON.parse(new TextDecoder().decode(headBytes)), manifest.head.classes, manifest.embeddingDim);
      bundleHead = { head, ref: bundleHeadRef(manifest) };
    }
    const gate = await loadSecondViewGate(bundle, manifest, bundleHead?.head ?? null, onProgress);
    const bundleShift = manifest.shift ? await loadShiftScorer(bundle, manifest, onProgress) : null;

    // ---- which backend / threads / batch: cached calibration, else measure now
    const override = await overrideP;
    let candidates = calibrationCandidates(env, available, settings).filter((c) => variantFor(c.backend));
    if (candidates.length === 0) candidates = [{ backend: base.backend, threads: base.threads }];
    const key = calibrationKey({
      modelId: manifest.id,
      modelVersion: manifest.version,
      variantSha256: [...new Set(candidates.map((c) => variantFor(c.backend)!.sha256))],
      env,
      settings,
    });
    await early;
    // A runtime already started in this worker (by this load's early start, or an earlier model) has
    // a fixed thread count: only WebGPU or that count can run here. All candidates are still calibrated.
    const loadedBuild = loadedBuilds()[0];
    const fixed = loadedBuild ? ortThreadsOf(loadedBuild)! : null;
    const usable = (c: Candidate): boolean => fixed === null || c.backend === 'webgpu' || c.threads === fixed;
    const pinned = (c: Candidate): Candidate => (usable(c) ? c : { ...c, threads: fixed! });
    let calibration: CalibrationInfo | null = null;
    let chosen: Candidate & { batchSize?: number };
    const cached = await loadCalibration(key).catch(() => undefined);
    mark('load:calibration-cache');
    this.abortCalibration = true; // a calibration of the previous model is no longer wanted
    this.pending = null;
    if (cached) {
      const rows = cached.trials.filter((t) => usable(t));
      const pipeline = cached.prepMs !== undefined ? { prepMs: cached.prepMs, cores: env.hardwareConcurrency } : undefined;
      chosen = usable(cached.choice) ? cached.choice : rows.length ? pickBest(rows, pipeline) : { ...pinned(cached.choice), batchSize: cached.choice.batchSize };
      calibration = { cached: true, choice: cached.choice, trials: cached.trials, tookMs: cached.tookMs, measuredAt: cached.measuredAt, prepMs: cached.prepMs };
    } else {
      // Not measured yet on this device: start with the rule-based choice (so the first cells are not
      // kept waiting) and calibrate in the background once the worker is idle; the next load uses it.
      chosen = pinned(candidates.find((c) => c.backend === base.backend && c.threads === base.threads) ?? candidates[0]!);
    }
    if (override?.backend) chosen = { ...chosen, backend: override.backend };
    if (override?.threads) chosen = { ...chosen, threads: override.threads };

    const variant = variantFor(chosen.backend);
    if (!variant) throw new BundleError(`"${manifest.name}" has no encoder variant for ${chosen.backend}.`, 'manifest.json');
    const build = buildFor(chosen.backend, override);
    // The runtime (JS + .wasm) loads while the model file is read and checked.
    const [model, ort] = await Promise.all([
      (variant.sha256 === likelyVariant.sha256 ? likelyModel : readVerified(bundle, variant, onProgress)).then((m) => (mark('load:model'), m)),
      startOrt(build, chosen.backend === 'wasm' ? chosen.threads : autoThreads(env)).then((o) => (mark('load:ort'), o)),
    ]);

    onProgress?.({ stage: 'session', file: variant.file });
    let session: OrtModule.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, sessionOptions(chosen.backend));
      mark('load:session');
    } catch (e) {
      throw new BundleError(`${variant.file} could not be loaded by onnxruntime (${chosen.backend}): ${(e as Error).message}`, variant.file);
    }
    const mismatch = checkModelIo(manifest, variant.file, session.inputMetadata, session.outputMetadata);
    if (mismatch) {
      await session.release();
      throw new BundleError(mismatch, variant.file);
    }

    this.batchSize = Math.max(1, override?.batchSize ?? chosen.batchSize ?? DEFAULT_BATCH);
    this.overlapDecode = override?.overlapDecode ?? true;

    await this.releaseSession();
    this.session = session;
    this.ort = ort;
    this.bundleHead = bundleHead;
    this.gate = gate;
    this.bundleShift = bundleShift;
    this.shift = bundleShift;
    this.head = bundleHead?.head ?? null;
    this.headRef = bundleHead?.ref ?? null;
    this.manifest = manifest;
    this.encoderKey = `${manifest.id}:${variant.sha256}`;
    const threads = chosen.backend === 'wasm' ? ortThreadsOf(build)! : chosen.threads;
    this.current = { backend: chosen.backend, threads };
    if (!calibration && !override) {
      this.pending = { key, manifest, candidates, variantFor, bundle, current: this.current, hintKey };
      this.scheduleCalibration(CALIBRATION_DELAY_MS); // its warm-up also warms this session
    } else {
      this.scheduleWarmUp();
    }
    stats.batchSize = this.batchSize;
    stats.overlapDecode = this.overlapDecode;
    stats.ortBuild = build;
    stats.calibration = calibration;
    const reasonParts = [chosen.backend === base.backend ? base.reason : `${chosen.backend} measured faster`];
    if (calibration) {
      const row = calibration.trials.find((t) => t.backend === chosen.backend && t.threads === threads && t.batchSize === this.batchSize);
      reasonParts.push(describeChoice({ backend: chosen.backend, threads, batchSize: this.batchSize, msPerImage: row?.msPerImage }, calibration.cached));
    }
    else if (this.pending) reasonParts.push('on-device calibration runs when idle and applies from the next load');
    if (override) reasonParts.push('benchmark override');
    const choice: BackendChoice = { backend: chosen.backend, threads, reason: reasonParts.join('; ') };
    return {
      manifest,
      classes: this.head?.classes ?? [],
      head: this.headRef,
      shift: shiftInfo(this.shift),
      encoderKey: this.encoderKey,
      bundleHead: bundleHead ? { classes: bundleHead.head.classes.slice(), weight: bundleHead.head.weight.slice(), bias: bundleHead.head.bias.slice() } : null,
      precision: variant.precision,
      file: variant.file,
      choice,
      environment: env,
      loadMs: performance.now() - t0,
      batchSize: this.batchSize,
      ...(calibration ? { calibration } : {}),
    };
  }

  /**
   * Runs synthetic batches on the new session while nothing else is asked of the worker, until the
   * browser has recompiled ORT's hot WebAssembly functions with its optimising compiler (see warmUp in
   * calibration.ts): otherwise the user's first cells run on the baseline code, 3–8× slower, for the
   * first seconds after every page load. A job that starts meanwhile stops it after the current run.
   */
  private scheduleWarmUp(): void {
    const session = this.session;
    const manifest = this.manifest;
    const ort = this.ort;
    if (!session || !manifest || !ort || this.current?.backend !== 'wasm') return;
    const stale = (): boolean => this.session !== session || this.activeJobs > 0;
    setTimeout(() => {
      if (stale()) return;
      const run = this.yieldingRunner(ort, session, manifest, stale);
      const t0 = performance.now();
      void warmUp([{ run }], { aborted: stale })
        .then((typical) => {
          stats.warmUp = { ms: performance.now() - t0, completed: typical !== null };
        })
        .catch(() => {}); // an optimisation only
    }, WARM_UP_DELAY_MS);
  }

  /**
   * Synthetic runs on this worker's own session for the warm-up and the calibration: each first lets
   * the worker handle its pending messages (see yieldToEvents), and none starts once `stop()` holds —
   * it then returns 0, which is never used because the caller's abort check (the same `stop`) ends
   * the loop before the next run.
   */
  private yieldingRunner(ort: Ort, session: OrtModule.InferenceSession, manifest: BundleManifest, stop: () => boolean): (n: number) => Promise<number> {
    const synthetic = syntheticRunner(ort, session, manifest.input.name, manifest.input.size);
    return async (n) => {
      await yieldToEvents();
      return stop() ? 0 : this.exclusive(() => synthetic(n));
    };
  }

  private scheduleCalibration(delayMs: number): void {
    if (this.calibrationTimer) clearTimeout(this.calibrationTimer);
    this.calibrationTimer = setTimeout(() => {
      this.calibrationTimer = null;
      void this.calibrate();
    }, delayMs);
  }

  /**
   * Background calibration: measures every candidate configuration one after the other, each in a
   * worker of its own — except the configuration this worker runs, timed on its own session — while no
   * job runs. A job that starts meanwhile aborts it; it is retried once the worker is idle again. The result is cached for the
   * next load; the batch size applies at once when it belongs to the configuration running now.
   */
  private async calibrate(): Promise<void> {
    const p = this.pending;
    if (!p || this.calibrating) return;
    if (this.activeJobs > 0) return; // rescheduled when the job ends
    this.calibrating = true;
    this.abortCalibration = false;
    const tc = performance.now();
    const workers: CandidateWorker[] = [];
    try {
      const input = { name: p.manifest.input.name, size: p.manifest.input.size };
      const aborted = (): boolean => this.abortCalibration || this.pending !== p;
      // One candidate runtime at a time: an idle multi-threaded ORT runtime in another worker slowed
      // the one being timed (DinoBloom-S int8, 1 thread: 253 → 342 ms/cell with an idle 2-thread
      // runtime beside it), and each runtime holds its own WASM memory. The configuration this
      // worker already runs is timed on its own session (no second copy of the model).
      const trials: Trial[] = [];
      const blobs = new Map<string, Blob>();
      for (const c of p.candidates) {
        if (aborted()) return;
        const own = c.backend === p.current.backend && c.threads === p.current.threads && this.session && this.ort;
        let rows: Trial[] | null;
        if (own) {
          rows = await measureCandidates([{ ...c, run: this.yieldingRunner(this.ort!, this.session!, p.manifest, aborted) }], { aborted, budgetMs: 6000 });
        } else {
          const v = p.variantFor(c.backend)!;
          if (!blobs.has(v.file)) blobs.set(v.file, new Blob([(await readVerified(p.bundle, v)) as Uint8Array<ArrayBuffer>]));
          const w = new CandidateWorker(c);
          workers.push(w);
          try {
            await w.init(blobs.get(v.file)!, input);
          } catch {
            w.terminate(); // a configuration that cannot run (e.g. no WebGPU device) is not chosen
            continue;
          }
          rows = await measureCandidates([{ ...c, run: (n: number) => w.run(n) }], { aborted, budgetMs: 6000 });
          w.terminate();
        }
        if (!rows) return;
        trials.push(...rows);
      }
      if (trials.length === 0 || aborted()) return;
      const prepMs = await measurePrep(p.manifest.input).catch(() => undefined);
      const pipeline = prepMs !== undefined ? { prepMs, cores: this.environment?.hardwareConcurrency ?? 1 } : undefined;
      const choice = pickBest(trials, pipeline);
      const rec: CalibrationRecord = { key: p.key, version: CALIBRATION_VERSION, measuredAt: Date.now(), choice, trials, tookMs: performance.now() - tc, prepMs };
      await saveCalibration(rec).catch(() => {});
      if (choice.backend === 'wasm') await saveThreadsHint(p.hintKey, choice.threads).catch(() => {});
      const here = trials.filter((t) => t.backend === p.current.backend && t.threads === p.current.threads);
      if (here.length > 0) this.batchSize = pickBest(here, pipeline).batchSize;
      stats.batchSize = this.batchSize;
      stats.calibration = { cached: false, choice, trials, tookMs: rec.tookMs, measuredAt: rec.measuredAt, prepMs };
      this.pending = null;
    } catch {
      // Calibration is an optimisation: on any failure keep the rule-based choice (and try again next load).
      this.pending = null;
    } finally {
      for (const w of workers) w.terminate();
      this.calibrating = false;
    }
  }

  /**
   * Full check of a bundle before it is imported: manifest, size + sha256 of every file, head shape,
   * and the I/O signature of every WASM-capable variant. Nothing is kept; the active model is untouched.
   */
  async prepareImport(offer: BundleOffer, onProgress?: (p: LoadProgress) => void): Promise<{ manifest: BundleManifest; files: Record<string, Blob> }> {
    const files = await offerToFiles(offer, (file, loaded, total) => onProgress?.({ stage: 'download', file, loaded, total }));
    onProgress?.({ stage: 'verify' });
    const manifest = await this.inspectBundle({ kind: 'files', files });
    // Keep only what the manifest lists: stray files in a folder or zip are not imported.
    const listed = ['manifest.json', ...manifestFiles(manifest).map((e) => e.file)];
    return { manifest, files: Object.fromEntries(listed.map((f) => [f, files[f]!])) };
  }

  async inspectBundle(source: BundleSource): Promise<BundleManifest> {
    const bundle = await openBundle(source);
    const { manifest } = bundle;
    // An encoder-only bundle (fresh from a converter, or exported before it had a head) is importable;
    // it classifies once a head is added.
    if (manifest.head) {
      const headBytes = await readVerified(bundle, manifest.head);
      parseHeadJson(JSON.parse(new TextDecoder().decode(headBytes)), manifest.head.classes, manifest.embeddingDim);
    }
    await loadSecondViewGate(bundle, manifest, null);
    if (manifest.shift) await loadShiftScorer(bundle, manifest);
    for (const variant of manifest.encoder.variants) {
      const bytes = await readVerified(bundle, variant);
      if (!variant.backends.includes('wasm')) continue;
      const ort = await loadOrt(buildFor('wasm'), 1);
      let session: OrtModule.InferenceSession;
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      } catch (e) {
        throw new BundleError(`${variant.file} is not a valid ONNX model: ${(e as Error).message}`, variant.file);
      }
      const mismatch = checkModelIo(manifest, variant.file, session.inputMetadata, session.outputMetadata);
      await session.release();
      if (mismatch) throw new BundleError(mismatch, variant.file);
    }
    return manifest;
  }

  cancel(jobId: string): void {
    this.cancelled.add(jobId);
  }

  /**
   * Decode → preprocess → session.run → head, batch by batch. With overlapDecode (default) a job of
   * more than one batch has its cells decoded and preprocessed in the decode worker, one batch ahead,
   * so that this happens during the current batch's inference (session.run blocks this thread, so
   * decoding started here would wait for it). Otherwise cells are decoded here, before each batch.
   */
  classify(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize?: number): Promise<ClassifySummary> {
    if (!this.head) throw new Error(this.manifest ? `"${this.manifest.name}" has no classification head yet: train one in Models → Lab heads.` : 'No model is loaded.');
    return this.run(jobId, cells, onBatch, batchSize, true);
  }

  /**
   * Embeddings only (training a lab head, the embedding map): the same pipeline as classify without
   * the head; outcomes carry empty probabilities.
   */
  embed(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize?: number): Promise<ClassifySummary> {
    return this.run(jobId, cells, onBatch, batchSize, false);
  }

  /**
   * Switches the head classify() applies, without reloading the encoder: a lab head (its input
   * dimension must be the encoder's) or, with null, the bundle's own head.
   */
  setHead(spec: HeadSpec | null): { classes: string[]; head: HeadRef | null; shift: ShiftInfo | null } {
    const manifest = this.manifest;
    if (!manifest) throw new Error('No model is loaded.');
    if (spec === null) {
      this.head = this.bundleHead?.head ?? null;
      this.headRef = this.bundleHead?.ref ?? null;
      this.shift = this.bundleShift;
    } else {
      const C = spec.classes.length;
      const D = manifest.embeddingDim;
      if (spec.weight.length !== C * D) {
        throw new Error(`Head "${spec.ref.name}" expects ${spec.weight.length / Math.max(1, C)}-dimensional embeddings but the encoder of "${manifest.name}" produces ${D}.`);
      }
      if (spec.bias.length !== C) throw new Error(`Head "${spec.ref.name}" has ${spec.bias.length} biases for ${C} classes.`);
      // A lab head is checked against the lab's own training cells; without statistics of its own
      // (too few cells) the checks are off rather than measured against data it was not trained on.
      const mismatch = spec.shift ? shiftStatsMismatch(spec.shift, manifest, this.encoderKey.slice(this.encoderKey.indexOf(':') + 1)) : null;
      if (mismatch) throw new Error(`The shift statistics of head "${spec.ref.name}" do not fit this encoder: ${mismatch}`);
      this.head = { classes: spec.classes.slice(), inputDim: D, weight: spec.weight, bias: spec.bias };
      this.headRef = { ...spec.ref };
      this.shift = spec.shift ? activeShift(spec.shift) : null;
    }
    return { classes: this.head?.classes ?? [], head: this.headRef, shift: shiftInfo(this.shift) };
  }

  private async run(jobId: string, cells: CellInput[], onBatch: (report: BatchReport) => void, batchSize: number | undefined, withHead: boolean): Promise<ClassifySummary> {
    const { session, manifest, ort } = this;
    if (!session || !manifest || !ort || (withHead && !this.head)) throw new Error('No model is loaded.');
    // The head is read per batch, so cells processed after a setHead() get the new head; each report
    // names the head its probabilities came from (the page stamps cells from that, never from its own
    // idea of the active head, which reaches it on another message port). A setHead(null) on an
    // encoder-only bundle leaves no head: the rest of the job keeps the last one it had.
    let active: ActiveHead | null = withHead ? { head: this.head!, ref: this.headRef, shift: this.shift } : null;
    const tJob = performance.now();
    const bs = Math.max(1, Math.floor(batchSize ?? this.batchSize));
    const size = manifest.input.size;
    const spec = specFromInput(manifest.input);
    const per = 3 * size * size;
    const total = zeroTimings();
    total.waitMs = 0;
    const local = new Float32Array(Math.min(bs, cells.length) * per);
    if (this.overlapDecode && cells.length > bs && !this.decodePool?.broken) this.decodePool ??= new DecodePool();
    const pool = this.overlapDecode && cells.length > bs && this.decodePool && !this.decodePool.broken ? this.decodePool : null;
    const ask = (from: number): Promise<DecodeReply> | null =>
      pool && from < cells.length ? pool.request(cells.slice(from, from + bs).map((c) => c.blob), spec) : null;

    /** Decodes and preprocesses a batch on this thread (no pool, or the pool failed). */
    const here = async (batch: CellInput[], timings: StageTimings): Promise<DecodeReply> => {
      const out: DecodeReply['cells'] = [];
      let k = 0;
      for (const cell of batch) {
        const t0 = performance.now();
        const d = await decodeCellOrError(cell.blob);
        const t1 = performance.now();
        timings.decodeMs += t1 - t0;
        if (!d.ok) {
          out.push(d);
          continue;
        }
        const { framing } = preprocessFramed(d.image, spec, local, k * per);
        k++;
        timings.resizeMs += performance.now() - t1;
        out.push({ ok: true, width: d.image.width, height: d.image.height, ...(framing ? { framing } : {}) });
      }
      return { cells: out, data: local.subarray(0, k * per), decodeMs: 0, resizeMs: 0 };
    };

    const dim = manifest.embeddingDim;
    const encode = async (input: Float32Array, n: number): Promise<Float32Array> => {
      const feeds = { [manifest.input.name]: new ort.Tensor('float32', input.subarray(0, n * per), [n, 3, size, size]) };
      const out = await this.exclusive(() => session.run(feeds));
      const tensor = out[manifest.output?.name ?? 'embedding'];
      if (!tensor) throw new Error('the model produced no embedding output');
      const data = (await tensor.getData()) as Float32Array;
      for (const t of Object.values(out)) t.dispose();
      return data;
    };
    /** Head, shift check and outcomes of cells whose embeddings are final (n × dim, in `cellsDone` order). */
    const emit = (cellsDone: GoodCell[], embeddings: Float32Array, outcomes: CellOutcome[], secondView: boolean): void => {
      const n = cellsDone.length;
      if (n === 0) return;
      if (active && this.head) active = { head: this.head, ref: this.headRef, shift: this.shift };
      const head = active?.head ?? null;
      const c = head?.classes.length ?? 0;
      const probs = head ? applyHead(head, embeddings, n) : new Float32Array(0);
      const shift = active?.shift ? active.shift.scorer.assess(embeddings, n) : null;
      cellsDone.forEach((g, i) => {
        // A broken image or model can give NaN/Inf: an error, never a confident class or "in distribution".
        const bad = firstNonFinite(embeddings, i * dim, (i + 1) * dim);
        if (bad >= 0) {
          outcomes.push({ id: g.id, ok: false, reason: 'embedding-invalid', message: INVALID_EMBEDDING_MESSAGE });
          return;
        }
        const a = shift?.[i];
        outcomes.push({
          id: g.id, ok: true, probabilities: probs.slice(i * c, (i + 1) * c), embedding: embeddings.slice(i * dim, (i + 1) * dim), width: g.width, height: g.height,
          ...(a?.ok ? { shift: { score: a.score, flagged: a.flagged } } : {}),
          ...(g.framing ? { framing: g.framing } : {}),
          ...(secondView ? { secondView: true as const } : {}),
        });
      });
    };
    // encoder.secondView: the gate is the bundle's own head whichever head classifies, so a cell's
    // embedding depends on its image only (src/core/secondView.ts).
    const policy = manifest.encoder.secondView;
    const queue = policy && this.gate ? new SecondViewQueue<GoodCell>(size, dim, policy, this.gate) : null;
    /** The second pass of up to one batch of waiting cells, reported as a batch of its own. */
    const flush = async (): Promise<void> => {
      if (!queue || queue.length === 0) return;
      const timings: StageTimings = { ...zeroTimings(), waitMs: 0 };
      const outcomes: CellOutcome[] = [];
      const { cells: waiting, turned } = queue.take(bs);
      const t2 = performance.now();
      try {
        const second = await encode(turned, waiting.length);
        const t3 = performance.now();
        timings.inferenceMs += t3 - t2;
        stats.secondViewCells += waiting.length;
        emit(waiting.map((w) => w.item), queue.mean(waiting, second), outcomes, true);
        timings.headMs += performance.now() - t3;
      } catch (e) {
        for (const w of waiting) outcomes.push({ id: w.item.id, ok: false, reason: 'inference-failed', message: `Inference failed: ${(e as Error).message}` });
      }
      addTimings(total, timings);
      addTimings(stats.timings, timings);
      onBatch({ outcomes, timings, ...(active ? { head: active.ref, classes: active.head.classes } : {}) });
    };
    const flushAll = async (): Promise<void> => {
      while (queue && queue.length > 0) await flush();
    };

    let next = ask(0);
    let processed = 0;
    stats.jobs++;
    this.activeJobs++;
    if (this.calibrating) this.abortCalibration = true;
    try {
      for (let from = 0; from < cells.length; from += bs) {
        if (this.cancelled.has(jobId)) {
          await flushAll(); // the cells already read get their result
          return { processed, cancelled: true, timings: total };
        }
        const batch = cells.slice(from, from + bs);
        const timings: StageTimings = { ...zeroTimings(), waitMs: 0 };
        // The worker's very first batch is on the start-up benchmark's clock: marks of its stages.
        const firstOfWorker = stats.batches === 0 && from === 0;
        if (firstOfWorker) mark('batch1:start');
        const t0 = performance.now();
        let prepared: DecodeReply;
        if (next) {
          try {
            prepared = await next;
            timings.decodeMs += prepared.decodeMs;
            timings.resizeMs += prepared.resizeMs;
          } catch {
            prepared = await here(batch, timings); // the decode worker failed: this batch (and the rest) here
          }
        } else {
          prepared = await here(batch, timings);
        }
        timings.waitMs = performance.now() - t0;
        if (firstOfWorker) mark('batch1:prepared');
        // The next batch goes to the decode worker now, to be ready when this one's inference ends.
        next = pool && !pool.broken ? ask(from + bs) : null;
        next?.catch(() => {});
        const outcomes: CellOutcome[] = [];
        const good: GoodCell[] = [];
        prepared.cells.forEach((d, i) => {
          const cell = batch[i]!;
          if (d.ok) good.push({ id: cell.id, width: d.width, height: d.height, ...(d.framing ? { framing: d.framing } : {}) });
          else outcomes.push({ id: cell.id, ok: false, reason: d.reason, message: d.message });
        });
        if (good.length > 0) {
          const t2 = performance.now();
          let embeddings: Float32Array;
          try {
            embeddings = await encode(prepared.data, good.length);
          } catch (e) {
            for (const g of good) outcomes.push({ id: g.id, ok: false, reason: 'inference-failed', message: `Inference failed: ${(e as Error).message}` });
            onBatch({ outcomes, timings, ...(active ? { head: active.ref, classes: active.head.classes } : {}) });
            processed += batch.length;
            continue;
          }
          const t3 = performance.now();
          if (firstOfWorker) mark('batch1:run');
          timings.inferenceMs += t3 - t2;
          stats.batchInferenceMsPerCell.push((t3 - t2) / good.length);
          if (stats.batchInferenceMsPerCell.length > 2000) stats.batchInferenceMsPerCell.splice(0, 1000);
          if (queue) {
            // the doubtful cells wait for a batch of their own (SecondViewQueue); the others are final now
            const keep = queue.sort(good, prepared.data, embeddings);
            const final = new Float32Array(keep.length * dim);
            keep.forEach((i, k) => final.set(embeddings.subarray(i * dim, (i + 1) * dim), k * dim));
            emit(keep.map((i) => good[i]!), final, outcomes, false);
          } else {
            emit(good, embeddings, outcomes, false);
          }
          timings.headMs += performance.now() - t3;
        }
        addTimings(total, timings);
        addTimings(stats.timings, timings);
        stats.cells += batch.length;
        stats.batches++;
        stats.batchEndsEpochMs.push(performance.timeOrigin + performance.now());
        if (stats.batchEndsEpochMs.length > 2000) stats.batchEndsEpochMs.splice(0, 1000);
        processed += batch.length;
        onBatch({ outcomes, timings, ...(active ? { head: active.ref, classes: active.head.classes } : {}) });
        if (queue && queue.length >= bs) await flush();
      }
      await flushAll();
      return { processed, cancelled: false, timings: total };
    } finally {
      this.cancelled.delete(jobId);
      stats.busyMs += performance.now() - tJob;
      stats.lastBatchEndEpochMs = performance.timeOrigin + performance.now();
      this.activeJobs--;
      if (this.activeJobs === 0 && this.pending) this.scheduleCalibration(CALIBRATION_DELAY_MS);
    }
  }

  private async releaseSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }

  async dispose(): Promise<void> {
    this.decodePool?.terminate();
    this.decodePool = null;
    await this.releaseSession();
    this.head = null;
    this.headRef = null;
    this.bundleHead = null;
    this.gate = null;
    this.manifest = null;
  }
}
