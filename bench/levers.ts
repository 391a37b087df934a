/**
 * `npm run bench -- --levers`: each speed lever measured A/B in this run, alternating the two sides
 * (A B A B …, fresh worker each time) and keeping each side's best run, so drift and background load hit both.
 *
 * - Raw onnxruntime-web levers run in bench/lab (a bare page + worker: one ORT build, one session,
 *   timed session.run on a fixed input) — ORT build, threads, batch, session options, model variants.
 * - Model variants (other int8 recipes, offline transformer fusions; bench/make_variants.py) are also
 *   timed natively with onnxruntime-node, to see whether a change helps the browser or both.
 * - App-level levers (decode overlap) run through the real app with the benchmark's tuning override.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import * as ortNode from 'onnxruntime-node';
import { BenchApp } from './lib/app.ts';
import { takeCells, type CellSet } from './lib/cells.ts';
import type { LeverRow } from './lib/report.ts';
import { median } from './lib/stats.ts';

export interface LeverContext {
  browser: Browser;
  origin: string;
  cache: string;
  repo: string;
  cellSet: CellSet;
  quick: boolean;
  log: (s: string) => void;
}

interface LabCfg {
  build: 'wasm' | 'jsep';
  threads: number;
  modelUrl: string;
  batch: number;
  size?: number;
  inputName?: string;
  sessionOptions?: Record<string, unknown>;
  warmup?: number;
  runs?: number;
  maxMs?: number;
  /** load the .wasm as bytes with a nonce section (as workers/ort.ts does for multi-threaded runtimes) */
  freshBinary?: boolean;
}

/** Best (lowest) per-image time of one configuration in a fresh lab worker. */
async function lab(page: Page, cfg: LabCfg): Promise<number> {
  const r = await page.evaluate((c) => (window as unknown as { runLab: (c: unknown) => Promise<{ minMsPerImage: number }> }).runLab(c), cfg);
  return r.minMsPerImage;
}

/**
 * A B A B … in fresh workers; the best run of each side. The machine may be shared: other programs
 * only ever add time, so for a fixed computation the minimum is the least noisy estimate.
 */
async function ab(page: Page, a: LabCfg, b: LabCfg, reps: number): Promise<[number, number]> {
  const xa: number[] = [];
  const xb: number[] = [];
  for (let i = 0; i < reps; i++) {
    xa.push(await lab(page, a));
    xb.push(await lab(page, b));
  }
  return [Math.min(...xa), Math.min(...xb)];
}

/** Best per-image time natively (same input as the lab). */
async function nativeMs(file: string, batch: number, runs: number, size = 224, threads?: number): Promise<number> {
  const s = await ortNode.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
  const x = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.001) * 2;
  const feeds = { [s.inputNames[0]!]: new ortNode.Tensor('float32', x, [batch, 3, size, size]) };
  await s.run(feeds);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    t.push((performance.now() - t0) / batch);
  }
  await s.release();
  return Math.min(...t);
}

export async function runLevers(ctx: LeverContext): Promise<LeverRow[]> {
  const { browser, origin, cache, repo, quick, log } = ctx;
  const reps = quick ? 1 : 3;
  const runs = quick ? 2 : 3;
  const rows: LeverRow[] = [];
  const variantsDir = join(cache, 'variants');
  if (!['s.int8-allmatmul.onnx', 's.fused.int8.onnx', 's.probe-noerf-nosoftmax.int8.onnx'].every((f) => existsSync(join(variantsDir, f)))) {
    log('levers: making model variants (bench/make_variants.py)…');
    mkdirSync(variantsDir, { recursive: true });
    execFileSync('python3', ['bench/make_variants.py', '--out', variantsDir], { cwd: repo, stdio: 'inherit' });
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/lab/`);
  await page.waitForFunction(() => (window as unknown as { labReady?: boolean }).labReady === true);
  const webnn = await page.evaluate(() => 'ml' in navigator);
  const S8 = '/bench-models/bench-dinobloom-s-random-int8/encoder.int8.onnx';
  const S32 = '/bench-models/bench-dinobloom-s-random-fp32/encoder.fp32.onnx';
  const CNN = '/bench-models/pbc-compact-cnn-v3-int8/encoder.int8.onnx';
  const sBase: LabCfg = { build: 'wasm', threads: 2, modelUrl: S8, batch: 4, warmup: 2, runs, maxMs: 20_000 };
  const cBase: LabCfg = { build: 'wasm', threads: 2, modelUrl: CNN, batch: 8, size: 128, warmup: 5, runs: 10 };
  const row = (group: string, lever: string, model: string, a: [string, number], b: [string, number], note?: string): void => {
    rows.push({ group, lever, model, metric: 'ms/cell inference, best run (browser, raw session.run)', baseline: { label: a[0], value: a[1] }, variant: { label: b[0], value: b[1] }, better: 'lower', runs: reps, note });
    log(`  ${group} · ${lever} · ${model}: ${a[0]} ${a[1].toFixed(1)} → ${b[0]} ${b[1].toFixed(1)} ms/cell`);
  };
  try {
    log('levers: onnxruntime-web build (JSEP default vs plain WASM)');
    let [x, y] = await ab(page, { ...sBase, build: 'jsep' }, sBase, reps);
    row('runtime', 'ORT-web build', 'S int8', ['JSEP (default import)', x], ['plain WASM build', y], 'same kernels: a difference can only be at start-up (see the start-up row)');
    [x, y] = await ab(page, { ...cBase, build: 'jsep' }, cBase, reps);
    row('runtime', 'ORT-web build', 'default CNN', ['JSEP', x], ['plain WASM', y]);

    log('levers: threads');
    [x, y] = await ab(page, { ...sBase, threads: 1 }, sBase, reps);
    row('runtime', 'WASM threads', 'S int8', ['1 thread', x], ['2 threads', y], 'chosen per device by the calibration');
    [x, y] = await ab(page, { ...cBase, threads: 1 }, cBase, reps);
    row('runtime', 'WASM threads', 'default CNN', ['1 thread', x], ['2 threads', y], 'chosen per device by the calibration');

    log('levers: batch size');
    [x, y] = await ab(page, { ...sBase, batch: 1 }, sBase, reps);
    row('runtime', 'batch size', 'S int8', ['batch 1', x], ['batch 4', y], 'chosen per device by the calibration');
    [x, y] = await ab(page, { ...cBase, batch: 1 }, cBase, reps);
    row('runtime', 'batch size', 'default CNN', ['batch 1', x], ['batch 8', y], 'chosen per device by the calibration');

    log('levers: session options');
    [x, y] = await ab(page, sBase, { ...sBase, sessionOptions: { enableMemPattern: false } }, reps);
    row('session options', 'memory pattern off', 'S int8', ['default (on)', x], ['enableMemPattern: false', y]);
    [x, y] = await ab(page, sBase, { ...sBase, sessionOptions: { freeDimensionOverrides: { N: 4 } } }, reps);
    row('session options', 'free-dimension override', 'S int8', ['N dynamic', x], ['N fixed to 4', y], 'would also force every batch to exactly 4 cells');
    [x, y] = await ab(page, sBase, { ...sBase, sessionOptions: { graphOptimizationLevel: 'extended' } }, reps);
    row('session options', 'graph optimisation level', 'S int8', ["'all'", x], ["'extended'", y]);
    [x, y] = await ab(page, cBase, { ...cBase, sessionOptions: { enableMemPattern: false } }, reps);
    row('session options', 'memory pattern off', 'default CNN', ['default (on)', x], ['enableMemPattern: false', y]);

    log('levers: precision and model variants (browser and native)');
    const v = (f: string) => `/variants/${f}`;
    const variantRow = async (lever: string, aLabel: string, aUrl: string, aFile: string, bLabel: string, bUrl: string, bFile: string, note?: string) => {
      const [bx, by] = await ab(page, { ...sBase, modelUrl: aUrl }, { ...sBase, modelUrl: bUrl }, reps);
      row('model', lever, 'S', [aLabel, bx], [bLabel, by], note);
      let na = Infinity;
      let nb = Infinity;
      for (let i = 0; i < reps; i++) {
        na = Math.min(na, await nativeMs(aFile, 4, runs));
        nb = Math.min(nb, await nativeMs(bFile, 4, runs));
      }
      rows.push({ group: 'model', lever, model: 'S', metric: 'ms/cell inference (native onnxruntime-node)', baseline: { label: aLabel, value: na }, variant: { label: bLabel, value: nb }, better: 'lower', runs: reps, note: `browser/native ratio: ${(na / bx).toFixed(2)}× → ${(nb / by).toFixed(2)}×` });
      log(`  native: ${aLabel} ${na.toFixed(1)} → ${bLabel} ${nb.toFixed(1)} ms/cell`);
    };
    const sDir = join(cache, 'bundles/dinobloom-s-random');
    {
      const f = join(sDir, 'encoder.int8.onnx');
      const n1: number[] = [];
      const nd: number[] = [];
      for (let i = 0; i < reps; i++) {
        n1.push(await nativeMs(f, 4, runs, 224, 1));
        nd.push(await nativeMs(f, 4, runs));
      }
      rows.push({ group: 'reference', lever: 'native threads', model: 'S int8', metric: 'ms/cell inference (native onnxruntime-node)', baseline: { label: '1 thread', value: Math.min(...n1) }, variant: { label: 'default (all cores)', value: Math.min(...nd) }, better: 'lower', runs: reps, note: 'the native reference uses the default; shown for the per-thread comparison with WASM' });
      log(`  native S int8: 1 thread ${Math.min(...n1).toFixed(1)} → default threads ${Math.min(...nd).toFixed(1)} ms/cell`);
    }
    await variantRow('precision', 'fp32', S32, join(sDir, 'encoder.fp32.onnx'), 'int8 (converter)', S8, join(sDir, 'encoder.int8.onnx'));
    await variantRow('int8 weights', 'QInt8 per-channel (converter)', S8, join(sDir, 'encoder.int8.onnx'), 'QUInt8 per-channel', v('s.int8-quint8.onnx'), join(variantsDir, 's.int8-quint8.onnx'));
    await variantRow('int8 weights', 'QInt8 per-channel (converter)', S8, join(sDir, 'encoder.int8.onnx'), 'QInt8 per-tensor', v('s.int8-pertensor.onnx'), join(variantsDir, 's.int8-pertensor.onnx'));
    await variantRow('int8 which ops', 'weight MatMuls only (converter)', S8, join(sDir, 'encoder.int8.onnx'), '+ attention activation×activation MatMuls', v('s.int8-allmatmul.onnx'), join(variantsDir, 's.int8-allmatmul.onnx'), 'min cosine vs fp32 drops 0.9996 → 0.9992 (make_variants.py prints it)');
    {
      const [bx, by] = await ab(page, { ...sBase, threads: 1, modelUrl: S8 }, { ...sBase, threads: 1, modelUrl: v('s.probe-noerf-nosoftmax.int8.onnx') }, reps);
      row('where the time goes', 'Erf + Softmax replaced by Relu (probe, wrong outputs)', 'S int8, 1 thread', ['int8', bx], ['probe', by], 'upper bound of what faster transcendentals could save; the rest is GEMM');
    }
    await variantRow('offline fusion', 'fp32 unfused (converter)', S32, join(sDir, 'encoder.fp32.onnx'), 'fp32 + ORT transformer fusions', v('s.fused.fp32.onnx'), join(variantsDir, 's.fused.fp32.onnx'));
    await variantRow('offline fusion', 'int8 unfused (converter)', S8, join(sDir, 'encoder.int8.onnx'), 'int8 of the fused graph', v('s.fused.int8.onnx'), join(variantsDir, 's.fused.int8.onnx'));
  } finally {
    await context.close();
  }

  // The app ships one ORT build (JSEP). Inference speed is the same in both builds (rows above); what
  // differs is start-up, measured here in a bare page so it needs no app switch.
  log('levers: ORT build and runtime start-up (fresh profile each time)');
  {
    // worker start → ORT imported, .wasm fetched + compiled, thread pool up, default-model session
    // created, first run. A fresh browser context each time: nothing cached (HTTP cache, wasm code
    // cache), as on a first visit.
    const cold = async (build: 'wasm' | 'jsep'): Promise<{ ready: number; first: number }> => {
      const c = await browser.newContext();
      try {
        const p = await c.newPage();
        await p.goto(`${origin}/lab/`);
        await p.waitForFunction(() => (window as unknown as { labReady?: boolean }).labReady === true);
        const r = await p.evaluate(
          (cfg) => (window as unknown as { runLab: (c: unknown) => Promise<{ readyMs: number; firstRunMs: number }> }).runLab(cfg),
          { build, threads: 2, modelUrl: '/bench-models/pbc-compact-cnn-v3-int8/encoder.int8.onnx', batch: 1, size: 128, warmup: 1, runs: 1 },
        );
        return { ready: r.readyMs, first: r.readyMs + r.firstRunMs };
      } finally {
        await c.close();
      }
    };
    const j: { ready: number; first: number }[] = [];
    const w: { ready: number; first: number }[] = [];
    for (let i = 0; i < reps + 2; i++) {
      j.push(await cold('jsep'));
      w.push(await cold('wasm'));
    }
    rows.push({
      group: 'runtime',
      lever: 'ORT-web build',
      model: 'default CNN',
      metric: 'runtime start-up, nothing cached: worker start → session ready + first run (ms, median)',
      baseline: { label: 'JSEP (28 MB .wasm, shipped)', value: median(j.map((x) => x.first)) },
      variant: { label: 'plain WASM (14 MB .wasm)', value: median(w.map((x) => x.first)) },
      better: 'lower',
      runs: reps + 2,
      note: `session ready ${median(j.map((x) => x.ready)).toFixed(0)} → ${median(w.map((x) => x.ready)).toFixed(0)} ms; part of every first-visit cold start`,
    });
    log(`  start-up JSEP ${j.map((x) => x.first.toFixed(0)).join(', ')} → plain ${w.map((x) => x.first.toFixed(0)).join(', ')} ms`);
  }

  log('levers: compiled-module reuse across reloads of one tab (S int8, 2 threads)');
  {
    // One tab, loaded four times (goto + 3 reloads); each load times a fresh lab worker. Chromium
    // reuses a module compiled earlier in the same renderer when the .wasm bytes are the same; for the
    // multi-threaded runtime that went wrong from the second reload on (no tier-up for the rest of the
    // page's life). workers/ort.ts therefore appends a nonce section to the bytes (freshBinary).
    const tab = async (freshBinary: boolean): Promise<number[]> => {
      const c = await browser.newContext();
      try {
        const p = await c.newPage();
        const out: number[] = [];
        for (let k = 0; k < 4; k++) {
          if (k === 0) await p.goto(`${origin}/lab/`);
          else await p.reload();
          await p.waitForFunction(() => (window as unknown as { labReady?: boolean }).labReady === true);
          const r = await p.evaluate(
            (cfg) => (window as unknown as { runLab: (c: unknown) => Promise<{ msPerImage: number }> }).runLab(cfg),
            { build: 'jsep', threads: 2, modelUrl: '/bench-models/bench-dinobloom-s-random-int8/encoder.int8.onnx', batch: 2, warmup: 3, runs: quick ? 3 : 6, freshBinary },
          );
          out.push(r.msPerImage);
        }
        return out;
      } finally {
        await c.close();
      }
    };
    const same: number[][] = [];
    const fresh: number[][] = [];
    for (let i = 0; i < (quick ? 1 : 2); i++) {
      same.push(await tab(false));
      fresh.push(await tab(true));
    }
    const later = (xs: number[][]): number => median(xs.flatMap((x) => x.slice(2)));
    const show = (xs: number[][]): string => xs.map((x) => x.map((v) => v.toFixed(0)).join('/')).join('; ');
    rows.push({
      group: 'runtime',
      lever: 'compiled-module reuse across reloads',
      model: 'S int8, 2 threads',
      metric: 'ms/cell inference on the 2nd and 3rd reload of a tab (median of runs after 3 warm-ups)',
      baseline: { label: 'same .wasm bytes (reused module)', value: later(same) },
      variant: { label: 'bytes + nonce section (shipped)', value: later(fresh) },
      better: 'lower',
      runs: same.length,
      note: `loads 0/1/2/3 per tab, ms/cell: same bytes ${show(same)}; with nonce ${show(fresh)}`,
    });
    log(`  module reuse: same bytes ${show(same)} → nonce ${show(fresh)} ms/cell`);
  }

  log('levers: decode overlap in the app (default model, real UI)');
  const n = quick ? 48 : 150;
  const cells = takeCells(ctx.cellSet, n);
  const side = async (threads: number, overlap: boolean): Promise<number> => {
    const { app } = await BenchApp.open(browser, origin, '');
    try {
      await app.setOverride({ overlapDecode: overlap, threads, batchSize: 8 });
      await app.reload();
      await app.round(takeCells(ctx.cellSet, 8));
      await app.clearSession();
      const r = await app.round(cells);
      return r.pipelineCellsPerSec;
    } finally {
      await app.close();
    }
  };
  for (const threads of [1, 2]) {
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < reps; i++) {
      off.push(await side(threads, false));
      on.push(await side(threads, true));
    }
    rows.push({
      group: 'pipeline',
      lever: 'decode next batch during inference',
      model: 'default CNN',
      metric: `cells/s, worker pipeline (${n} cells, ${threads} thread${threads > 1 ? 's' : ''}, batch 8)`,
      baseline: { label: 'sequential', value: Math.max(...off) },
      variant: { label: 'overlapped', value: Math.max(...on) },
      better: 'higher',
      runs: reps,
      note: 'kept: cells are decoded + resized in a decode worker one batch ahead; the calibration counts that as overlapping only when a core is left free',
    });
    log(`  decode overlap, ${threads} thread(s): off ${off.map((x) => x.toFixed(1)).join(', ')} → on ${on.map((x) => x.toFixed(1)).join(', ')} cells/s`);
  }
  rows.push({ group: 'not measurable here', lever: `WebNN EP: navigator.ml ${webnn ? 'present' : 'absent'} in this Chromium; WebGPU EP: only SwiftShader (software) — not timed`, model: '–', metric: '–', baseline: { label: '–', value: Number.NaN }, variant: { label: '–', value: Number.NaN }, better: 'lower', runs: 0 });
  return rows;
}
