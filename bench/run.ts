/**
 * `npm run bench` — browser vs native inference benchmark for DinoBloom Web. See bench/README.md.
 *
 * Builds the app (vite build → bench/.cache/dist), serves it with COOP/COEP, drives it in headless
 * Debian Chromium through its real UI, and in the same run runs onnxruntime-node natively on the same
 * ONNX files and the same cells, alternating the two. Writes bench/results/<stamp>.{md,json} and
 * bench/results/latest.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_ID } from '../src/config.ts';
import { BenchApp, type BrowserRound, type EngineStats } from './lib/app.ts';
import { CHROMIUM_PATH, launch, probeGpu } from './lib/browser.ts';
import { ensureRandomBundles, stageVariant, type BenchModel } from './lib/bundles.ts';
import { loadCells, takeCells, type CellSet } from './lib/cells.ts';
import { formatLoad, machineInfo, rendererMemory, sampleLoad, type LoadSample } from './lib/machine.ts';
import { loadNative, nativeRound, type RoundResult, type Stages } from './lib/native.ts';
import { renderMarkdown, type BenchResult, type ModelResult, type DefaultExtras } from './lib/report.ts';
import { serve } from './lib/server.ts';
import { median } from './lib/stats.ts';
import { runLevers } from './levers.ts';
import { prepareTrainingBench, runTrainingBench } from './lib/training.ts';
import { runLabHeadEmbedBench } from './lib/labHeadEmbed.ts';

const REPO = resolve(import.meta.dirname, '..');
const CACHE = join(REPO, 'bench/.cache');

const USAGE = `npm run bench -- [options]
  --quick            smoke run: 2 runs, few cells, default model + DinoBloom-S int8 only
  --runs N           alternating browser/native runs per model (default 5; medians are reported)
  --models LIST      comma list of default,previous,s-int8,s-fp32,b-int8,b-fp32 (default: all; 'none' with --levers)
                     (default: the app's default, src/config.ts; previous: pbc-compact-cnn-v1, whole-crop
                     input, the default when issue 14 set the throughput budget; same cells)
  --cells N          cells per run for the default model (default 200)
  --big-cells N      cells per run for DinoBloom-S int8 (default 32; S fp32 and B get fewer, see README)
  --webgpu           also time the WebGPU EP (fp32 S/B) when Chromium exposes a hardware GPU adapter
                     (launches Chromium with its GPU process; a software adapter such as SwiftShader is never timed)
  --levers           also run the lever experiments (ORT build, threads, batch, session options, decode overlap)
  --no-training      skip the training benchmark (seconds to train a lab head; on by default)
  --training-n N     cells for the training benchmark (default 10000; --quick 2000)
  --training-d D     embedding dimension for it (default 384, DinoBloom-S)
  --training-embeddings FILE
                     also time training (Node) on a real embeddings file from npm run embed
  --no-build         reuse bench/.cache/dist instead of running vite build
  --interleave       open the models at once and alternate their rounds (A B B A …), so that the
                     machine's drift hits them alike; use it to compare models
  --reverse          measure the models in the reverse order (the machine drifts during a run: a model
                     measured later tends to look faster; run both orders to see how much)
  --tuning T:B       default and previous models: WASM T threads, batch B instead of the on-device
                     calibration's choice (an A/B of the calibration; the labels say so)
  --data DIR         folder of labelled crops (default ../shared/datasets/pbc/val, else e2e/fixtures/pbc)
  --out DIR          results folder (default bench/results)`;

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    models: { type: 'string' },
    cells: { type: 'string' },
    'big-cells': { type: 'string' },
    levers: { type: 'boolean', default: false },
    'no-training': { type: 'boolean', default: false },
    'training-n': { type: 'string' },
    'training-d': { type: 'string' },
    'training-embeddings': { type: 'string' },
    webgpu: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    tuning: { type: 'string' },
    reverse: { type: 'boolean', default: false },
    interleave: { type: 'boolean', default: false },
    data: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const quick = args.quick;
const runs = Number(args.runs ?? (quick ? 2 : 5));
const defaultCells = Number(args.cells ?? (quick ? 48 : 200));
const bigCells = Number(args['big-cells'] ?? (quick ? 8 : 32));
const ALL = ['default', 'previous', 's-int8', 's-fp32', 'b-int8', 'b-fp32'] as const;
type ModelKey = (typeof ALL)[number];
const wanted = new Set<ModelKey>(
  (args.models?.split(',').map((s) => s.trim()).filter((s) => s && s !== 'none') as ModelKey[] | undefined) ?? (quick ? ['default', 's-int8'] : [...ALL]),
);
for (const m of wanted) if (!ALL.includes(m)) throw new Error(`unknown model ${m}; use ${ALL.join(',')}`);
/** cells per run: B fp32 is ~10× slower than S int8 on 2 cores, so the big models get fewer (the report says so) */
const cellsFor: Record<ModelKey, number> = {
  default: defaultCells,
  previous: defaultCells,
  's-int8': bigCells,
  's-fp32': Math.max(2, Math.round(bigCells / 2)),
  'b-int8': Math.max(2, Math.round(bigCells / 3)),
  'b-fp32': Math.max(2, Math.round(bigCells / 6)),
};

const log = (s: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<void> {
  const started = new Date();
  const machine = machineInfo(CHROMIUM_PATH, REPO);
  const loads: LoadSample[] = [sampleLoad('start')];
  log(`${machine.cores} cores (${machine.cpuModel}), ${machine.memGiB} GiB; ${machine.chromium}; onnxruntime-web ${machine.onnxruntimeWeb}, onnxruntime-node ${machine.onnxruntimeNode}`);
  log(formatLoad(loads[0]!));

  // ---- build + bundles + cells
  const dist = join(CACHE, 'dist');
  if (!args['no-build'] || !existsSync(join(dist, 'index.html'))) {
    log('building the app (vite build → bench/.cache/dist)…');
    execFileSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
  }
  const notesEarly: string[] = [];
  const sizes = (['s', 'b'] as const).filter((s) => [...wanted].some((m) => m.startsWith(`${s}-`)) || (s === 's' && args.levers));
  ensureRandomBundles(REPO, CACHE, [...sizes]);
  const site = join(CACHE, 'site');
  mkdirSync(site, { recursive: true });
  const models: BenchModel[] = [];
  const defaultDir = join(REPO, 'public/models', DEFAULT_MODEL_ID);
  const tuning = args.tuning?.match(/^(\d+):(\d+)$/u);
  if (args.tuning && !tuning) throw new Error(`--tuning ${args.tuning}: threads:batch, e.g. 1:8`);
  const forced = tuning ? { override: { backend: 'wasm' as const, threads: Number(tuning[1]), batchSize: Number(tuning[2]) } } : {};
  const forcedLabel = tuning ? `, ${tuning[1]} thr batch ${tuning[2]} forced` : '';
  for (const key of ALL) {
    if (!wanted.has(key)) continue;
    if (key === 'default') {
      const m = stageVariant(defaultDir, 'int8', site); // staged only to learn the file; the app loads the built-in copy
      models.push({ key, label: `default (${DEFAULT_MODEL_ID}) int8${forcedLabel}`, dir: defaultDir, precision: 'int8', query: () => '', onnxFile: m.file, onnxBytes: m.bytes, ...forced });
      continue;
    }
    if (key === 'previous') {
      // a built-in like the default, so loaded by its id; whole-crop input (no cell search)
      const dir = join(REPO, 'public/models/pbc-compact-cnn-v1');
      const m = stageVariant(dir, 'int8', site);
      models.push({ key, label: `previous default (pbc-compact-cnn-v1) int8${forcedLabel}`, dir, precision: 'int8', query: () => '?builtin=pbc-compact-cnn-v1', onnxFile: m.file, onnxBytes: m.bytes, ...forced });
      continue;
    }
    const [size, precision] = key.split('-') as ['s' | 'b', 'int8' | 'fp32'];
    const dir = join(CACHE, 'bundles', `dinobloom-${size}-random`);
    const m = stageVariant(dir, precision, site);
    models.push({
      key,
      label: `DinoBloom-${size.toUpperCase()} (random) ${precision}`,
      dir,
      precision,
      query: (origin) => `?model=${encodeURIComponent(`${origin}/bench-models/${m.folder}/manifest.json`)}`,
      onnxFile: m.file,
      onnxBytes: m.bytes,
    });
  }
  if (args.levers) {
    // the lever experiments use these staged copies whatever --models says
    stageVariant(defaultDir, 'int8', site);
    for (const p of ['int8', 'fp32'] as const) stageVariant(join(CACHE, 'bundles', 'dinobloom-s-random'), p, site);
  }
  const cellSet = loadCells(REPO, Math.max(200, defaultCells), args.data);
  log(`cells: ${cellSet.source}`);

  const training = !args['no-training'];
  const trainingDir = training ? await prepareTrainingBench(REPO, CACHE) : null;
  const srv = await serve({
    ...(trainingDir ? { '/training-bench/': trainingDir } : {}),
    '/': dist,
    '/bench-models/': site,
    '/lab/': join(REPO, 'bench/lab'),
    '/ort/': join(REPO, 'node_modules/onnxruntime-web/dist'),
    '/variants/': join(CACHE, 'variants'),
  });
  const browser = await launch(['--enable-blink-features=ForceEagerMeasureMemory'], { gpu: args.webgpu });
  if (args.webgpu) {
    const gpu = await probeGpu(browser, `${srv.origin}/lab/`);
    if (gpu && !gpu.software) {
      for (const base of models.filter((m) => m.precision === 'fp32' && m.key !== 'default')) {
        models.push({ ...base, key: `${base.key}-webgpu`, label: `${base.label} WebGPU`, override: { backend: 'webgpu' } });
      }
      log(`WebGPU: hardware adapter (${gpu.description}): fp32 models also timed on WebGPU`);
    } else {
      const why = gpu ? `only a software adapter (${gpu.description})` : 'no adapter';
      log(`WebGPU: ${why}: not timed`);
      notesEarly.push(`WebGPU EP not timed: ${why} in this Chromium.`);
    }
  } else {
    notesEarly.push('WebGPU EP not timed (run with --webgpu on a machine with a hardware GPU adapter; here Chromium only has SwiftShader).');
  }
  const result: BenchResult = {
    startedAt: started.toISOString(),
    finishedAt: '',
    options: { quick, runs, cellsFor: Object.fromEntries([...wanted].map((k) => [k, cellsFor[k]])), cellSource: cellSet.source },
    machine,
    loads,
    models: [],
    defaultExtras: null,
    levers: null,
    training: null,
    labHead: null,
    notes: notesEarly,
  };
  if (args.reverse) models.reverse();
  try {
    if (args.interleave) {
      // All models open at once, their rounds alternating (A B A B …): drift of the machine during the
      // run then hits every model alike instead of favouring the one measured last.
      const open: ModelSession[] = [];
      for (const model of models) {
        log(`== ${model.label}: ${cellsFor[model.key as ModelKey]} cells × ${runs} runs, interleaved (${formatLoad(sampleLoad(`${model.key} open`))})`);
        if (model.key === 'default') result.defaultExtras = await defaultExtras(browser, srv.origin, cellSet);
        open.push(await openModel(browser, srv.origin, model, cellSet, cellsFor[model.key as ModelKey]));
      }
      loads.push(sampleLoad('interleaved rounds start'));
      for (let r = 0; r < runs; r++) for (const m of r % 2 ? [...open].reverse() : open) await roundOf(m, r);
      loads.push(sampleLoad('interleaved rounds end'));
      for (const m of open) result.models.push(await closeModel(m));
      result.notes.push(`Models interleaved (--interleave): all open at once, rounds A B B A A B …; renderer peak RSS is of the whole browser then.`);
    } else {
      for (const model of models) {
        loads.push(sampleLoad(`${model.key} start`));
        log(`== ${model.label}: ${cellsFor[model.key as ModelKey]} cells × ${runs} runs (${formatLoad(loads[loads.length - 1]!)})`);
        if (model.key === 'default') result.defaultExtras = await defaultExtras(browser, srv.origin, cellSet);
        result.models.push(await benchModel(browser, srv.origin, model, cellSet, cellsFor[model.key as ModelKey]));
        loads.push(sampleLoad(`${model.key} end`));
      }
    }
    if (training) {
      loads.push(sampleLoad('training start'));
      log(`== training a lab head (${formatLoad(loads[loads.length - 1]!)})`);
      const spec = { n: Number(args['training-n'] ?? (quick ? 2000 : 10000)), d: Number(args['training-d'] ?? 384), classes: 8, seed: 1 };
      result.training = await runTrainingBench({ browser, origin: srv.origin, prefix: '/training-bench/', spec, embeddingsFile: args['training-embeddings'], log });
      loads.push(sampleLoad('training end'));
      log('== lab head in the app: embedding a labelled folder + training');
      result.labHead = await runLabHeadEmbedBench({ browser, origin: srv.origin, set: cellSet, n: quick ? 80 : 200, log });
      loads.push(sampleLoad('lab head end'));
    }
    if (args.levers) {
      loads.push(sampleLoad('levers start'));
      result.levers = await runLevers({ browser, origin: srv.origin, cache: CACHE, repo: REPO, cellSet, quick, log });
      loads.push(sampleLoad('levers end'));
    }
  } finally {
    await browser.close();
    await srv.close();
  }
  loads.push(sampleLoad('end'));
  result.finishedAt = new Date().toISOString();
  const outDir = resolve(args.out ?? join(REPO, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const md = renderMarkdown(result);
  for (const name of [stamp, 'latest']) {
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(outDir, `${name}.md`), md);
  }
  console.log(`\n${md}`);
  log(`wrote ${join(outDir, `${stamp}.md`)} and .json (also latest.md/json)`);
}

/** Loads the model in a fresh browser context, waits for its calibration, reloads so it applies. */
async function openCalibrated(browser: Awaited<ReturnType<typeof launch>>, origin: string, model: BenchModel): Promise<{ app: BenchApp; stats: EngineStats; badge: string }> {
  const { app, readyMs, badge: first } = await BenchApp.open(browser, origin, model.query(origin));
  log(`  loaded in ${(readyMs / 1000).toFixed(1)} s: ${first}`);
  if (model.override) {
    await app.setOverride(model.override);
    const { badge } = await app.reload();
    return { app, stats: await app.stats(), badge };
  }
  const t = Date.now();
  const cal = await app.waitCalibrated(600_000);
  log(cal ? `  calibration: ${(cal.tookMs / 1000).toFixed(1)} s → ${cal.choice.backend} ${cal.choice.threads} thread(s), batch ${cal.choice.batchSize}` : `  no calibration after ${Date.now() - t} ms`);
  const { badge } = await app.reload(); // the calibrated thread count applies from the next load
  return { app, stats: await app.stats(), badge };
}

/** One model under measurement: its app page and native session, and the rounds so far. */
interface ModelSession {
  model: BenchModel;
  n: number;
  cells: ReturnType<typeof takeCells>;
  native: Awaited<ReturnType<typeof loadNative>>;
  app: BenchApp;
  stats: EngineStats;
  badge: string;
  b: BrowserRound[];
  nat: RoundResult[];
}

async function openModel(browser: Awaited<ReturnType<typeof launch>>, origin: string, model: BenchModel, set: CellSet, n: number): Promise<ModelSession> {
  const cells = takeCells(set, n);
  const warm = takeCells(set, Math.min(4, n));
  const native = await loadNative(model.dir, model.precision);
  const { app, stats, badge } = await openCalibrated(browser, origin, model);
  log(`  browser: ${badge}`);
  await app.round(warm); // warm-up, not timed
  await app.clearSession();
  await nativeRound(native, warm);
  return { model, n, cells, native, app, stats, badge, b: [], nat: [] };
}

/** One timed round of a model: browser, then native. */
async function roundOf(m: ModelSession, r: number): Promise<void> {
  const br = await m.app.round(m.cells);
  await m.app.clearSession();
  const nr = await nativeRound(m.native, m.cells);
  m.b.push(br);
  m.nat.push(nr);
  log(`  ${m.model.key} run ${r + 1}/${runs}: browser ${br.cellsPerSec.toFixed(2)} cells/s (pipeline ${br.pipelineCellsPerSec.toFixed(2)}), native ${nr.cellsPerSec.toFixed(2)} cells/s`);
}

async function closeModel(m: ModelSession): Promise<ModelResult> {
  let mem: ReturnType<typeof rendererMemory>[number] | undefined;
  try {
    mem = rendererMemory()[0];
  } finally {
    await m.app.close();
    await m.native.enc.session.release();
  }
  const { model, b, nat, stats, badge, n } = m;
  const stage = (rs: RoundResult[]): Stages => ({
    decodeMs: median(rs.map((r) => r.stages.decodeMs / r.cells)),
    resizeMs: median(rs.map((r) => r.stages.resizeMs / r.cells)),
    inferenceMs: median(rs.map((r) => r.stages.inferenceMs / r.cells)),
    headMs: median(rs.map((r) => r.stages.headMs / r.cells)),
    waitMs: median(rs.map((r) => (r.stages.waitMs ?? Number.NaN) / r.cells)),
  });
  const browserCps = median(b.map((r) => r.cellsPerSec));
  const nativeCps = median(nat.map((r) => r.cellsPerSec));
  return {
    key: model.key,
    label: model.label,
    onnx: { file: model.onnxFile, bytes: model.onnxBytes },
    cellsPerRun: n,
    runs: b.length,
    browser: {
      cellsPerSec: browserCps,
      allCellsPerSec: b.map((r) => r.cellsPerSec),
      pipelineCellsPerSec: median(b.map((r) => r.pipelineCellsPerSec)),
      stagesMsPerCell: stage(b),
      badge,
      batchSize: stats.batchSize,
      ortBuild: stats.ortBuild,
      calibration: stats.calibration,
      peakRendererMiB: mem?.hwmMiB ?? null,
      longTasksPerRun: median(b.map((r) => r.longTasks.count)),
      secondViewShare: median(b.map((r) => r.secondViewShare)),
    },
    native: {
      cellsPerSec: nativeCps,
      allCellsPerSec: nat.map((r) => r.cellsPerSec),
      stagesMsPerCell: stage(nat),
      batchSize: 8,
    },
    ratio: browserCps / nativeCps,
    pipelineRatio: median(b.map((r) => r.pipelineCellsPerSec)) / nativeCps,
  };
}

async function benchModel(browser: Awaited<ReturnType<typeof launch>>, origin: string, model: BenchModel, set: CellSet, n: number): Promise<ModelResult> {
  const m = await openModel(browser, origin, model, set, n);
  try {
    for (let r = 0; r < runs; r++) await roundOf(m, r);
  } catch (e) {
    await m.app.close().catch(() => {});
    await m.native.enc.session.release().catch(() => {});
    throw e;
  }
  return closeModel(m);
}

/** Default model only: cold start (first and repeat visit), five 500-cell runs (long tasks, memory). */
async function defaultExtras(browser: Awaited<ReturnType<typeof launch>>, origin: string, set: CellSet): Promise<DefaultExtras> {
  const reps = quick ? 1 : 3;
  const one = takeCells(set, 1)[0]!;
  const first: { firstResultMs: number; modelReadyMs: number; badge: string }[] = [];
  let ctx = null as Awaited<ReturnType<typeof BenchApp.newContext>> | null;
  for (let i = 0; i < reps; i++) {
    if (ctx) await ctx.close();
    ctx = await BenchApp.newContext(browser);
    const r = await BenchApp.coldStart(ctx, origin, one);
    first.push(r);
    log(`  cold start, first visit ${i + 1}/${reps}: first result ${r.firstResultMs.toFixed(0)} ms (model ready ${r.modelReadyMs.toFixed(0)} ms)`);
  }
  // repeat visits: same profile (HTTP cache, IndexedDB, calibration cached, service worker installed)
  const app0 = new BenchApp(ctx!, ctx!.pages()[0]!, origin);
  await app0.waitCalibrated(120_000);
  await app0.clearSession();
  const repeat: typeof first = [];
  for (let i = 0; i < reps; i++) {
    const r = await BenchApp.coldStart(ctx!, origin, one, true);
    repeat.push(r);
    log(`  cold start, repeat visit ${i + 1}/${reps}: first result ${r.firstResultMs.toFixed(0)} ms (model ready ${r.modelReadyMs.toFixed(0)} ms)`);
    await new BenchApp(ctx!, ctx!.pages()[0]!, origin).clearSession();
  }
  await ctx!.close();

  // five 500-cell runs in one tab: long tasks on the main thread, memory after each (session cleared)
  const big = quick ? 100 : 500;
  const { app } = await openCalibrated(browser, origin, { key: 'default', label: '', dir: '', precision: 'int8', query: () => '', onnxFile: '', onnxBytes: 0 });
  const runsOut: DefaultExtras['bigRuns'] = [];
  try {
    const cells = takeCells(set, big);
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const r = await app.round(cells);
      await app.clearSession();
      await new Promise((ok) => setTimeout(ok, 500));
      const bytes = await app.memoryBytes();
      const rss = rendererMemory()[0];
      runsOut.push({ cells: big, cellsPerSec: r.cellsPerSec, uiIdleMs: r.uiIdleMs, longTasks: r.longTasks, memoryBytes: bytes, rendererRssMiB: rss?.rssMiB ?? null, rendererPeakMiB: rss?.hwmMiB ?? null });
      log(`  ${big}-cell run ${i + 1}: ${r.cellsPerSec.toFixed(1)} cells/s, UI idle after ${(r.uiIdleMs / 1000).toFixed(1)} s, long tasks ${r.longTasks.count} (max ${r.longTasks.maxMs.toFixed(0)} ms), memory ${bytes === null ? '–' : (bytes / 2 ** 20).toFixed(1)} MiB, renderer RSS ${rss?.rssMiB.toFixed(0)} MiB`);
    }
  } finally {
    await app.close();
  }
  return {
    firstVisit: first,
    repeatVisit: repeat,
    firstVisitMedianMs: median(first.map((r) => r.firstResultMs)),
    repeatVisitMedianMs: median(repeat.map((r) => r.firstResultMs)),
    bigRuns: runsOut,
  };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
