/** Result types and the markdown report. Every figure comes from the run that wrote it. */
import type { EngineStats } from './app.ts';
import type { LoadSample, MachineInfo } from './machine.ts';
import type { Stages } from './native.ts';
import type { TrainingRun } from './trainingData.ts';
import type { LabHeadEmbedRun } from './labHeadEmbed.ts';
import { fmt } from './stats.ts';

export interface ModelResult {
  key: string;
  label: string;
  onnx: { file: string; bytes: number };
  cellsPerRun: number;
  runs: number;
  browser: {
    cellsPerSec: number;
    allCellsPerSec: number[];
    pipelineCellsPerSec: number;
    stagesMsPerCell: Stages;
    badge: string;
    batchSize: number;
    ortBuild: string | null;
    calibration: EngineStats['calibration'];
    peakRendererMiB: number | null;
    longTasksPerRun: number;
    /** median share of cells that got the bundle's second view (absent in older results) */
    secondViewShare?: number;
  };
  native: { cellsPerSec: number; allCellsPerSec: number[]; stagesMsPerCell: Stages; batchSize: number };
  ratio: number;
  pipelineRatio: number;
}

export interface DefaultExtras {
  firstVisit: { firstResultMs: number; modelReadyMs: number; badge: string }[];
  repeatVisit: { firstResultMs: number; modelReadyMs: number; badge: string }[];
  firstVisitMedianMs: number;
  repeatVisitMedianMs: number;
  bigRuns: {
    cells: number;
    cellsPerSec: number;
    uiIdleMs: number;
    longTasks: { count: number; maxMs: number; totalMs: number; fileInputTask?: { ms: number; appMs: number } | null };
    memoryBytes: number | null;
    rendererRssMiB: number | null;
    rendererPeakMiB: number | null;
  }[];
}

export interface LeverRow {
  group: string;
  lever: string;
  model: string;
  /** what is compared, e.g. "browser ms/cell inference" */
  metric: string;
  baseline: { label: string; value: number };
  variant: { label: string; value: number };
  /** variant / baseline for times (lower is better) or cells/s (higher is better), see `better` */
  better: 'lower' | 'higher';
  runs: number;
  note?: string;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  options: { quick: boolean; runs: number; cellsFor: Record<string, number>; cellSource: string };
  machine: MachineInfo;
  loads: LoadSample[];
  models: ModelResult[];
  defaultExtras: DefaultExtras | null;
  levers: LeverRow[] | null;
  /** seconds to train a lab head (bench/lib/training.ts); null when not run */
  training?: TrainingRun[] | null;
  /** the app's Lab heads panel on a labelled folder (bench/lib/labHeadEmbed.ts) */
  labHead?: LabHeadEmbedRun | null;
  notes: string[];
}

const mib = (b: number | null | undefined): string => (b === null || b === undefined ? '–' : `${(b / 2 ** 20).toFixed(1)}`);
const stages = (s: Stages): string => `${fmt(s.decodeMs, 1)} / ${fmt(s.resizeMs, 1)} / ${fmt(s.waitMs, 1)} / ${fmt(s.inferenceMs, 1)} / ${fmt(s.headMs, 2)}`;

export function targets(r: BenchResult): { target: string; measured: string; pass: boolean | null }[] {
  const out: { target: string; measured: string; pass: boolean | null }[] = [];
  const s = r.models.find((m) => m.key === 's-int8');
  out.push({
    target: 'DinoBloom-S int8: browser ≥ 0.6× native cells/s',
    measured: s ? `${fmt(s.ratio, 2)}× (${fmt(s.browser.cellsPerSec, 2)} vs ${fmt(s.native.cellsPerSec, 2)} cells/s; worker pipeline ${fmt(s.pipelineRatio, 2)}×)` : 'not run',
    pass: s ? s.ratio >= 0.6 : null,
  });
  // issue 14's budget: the default's in-browser throughput within 20 % of the default it set out from (v1), same run
  const def = r.models.find((m) => m.key === 'default');
  const prev = r.models.find((m) => m.key === 'previous');
  out.push({
    target: 'default model: browser cells/s ≥ 0.8× the previous default\'s (pbc-compact-cnn-v1), same cells, same run',
    measured: def && prev
      ? `${fmt(def.browser.cellsPerSec / prev.browser.cellsPerSec, 3)}× (${fmt(def.browser.cellsPerSec, 2)} vs ${fmt(prev.browser.cellsPerSec, 2)} cells/s, ${fmt(100 * (def.browser.cellsPerSec / prev.browser.cellsPerSec - 1), 1)} %)`
      : 'not run',
    pass: def && prev ? def.browser.cellsPerSec >= 0.8 * prev.browser.cellsPerSec : null,
  });
  const d = r.defaultExtras;
  out.push({
    target: 'default model: first classified cell ≤ 2 s after navigation on a first visit, ≤ 1.5 s on a repeat visit',
    measured: d ? `first visit ${fmt(d.firstVisitMedianMs, 0)} ms, repeat visit ${fmt(d.repeatVisitMedianMs, 0)} ms (medians)` : 'not run',
    pass: d ? d.firstVisitMedianMs <= 2000 && d.repeatVisitMedianMs <= 1500 : null,
  });
  if (d && d.bigRuns.length) {
    const lt = d.bigRuns.map((b) => b.longTasks.count);
    out.push({
      target: `default model: 0 main-thread tasks > 50 ms during a ${d.bigRuns[0]!.cells}-cell run`,
      measured: `${lt.join(', ')} per run (longest ${fmt(Math.max(...d.bigRuns.map((b) => b.longTasks.maxMs)), 0)} ms); plus the browser's own file-input task: ${d.bigRuns.map((b) => (b.longTasks.fileInputTask ? `${fmt(b.longTasks.fileInputTask.ms, 0)} ms (app part ${fmt(b.longTasks.fileInputTask.appMs, 0)} ms)` : '–')).join(', ')}`,
      pass: lt.every((c) => c === 0),
    });
    const mem = d.bigRuns.map((b) => b.memoryBytes).filter((x): x is number => x !== null);
    if (mem.length >= 2) {
      const growth = (mem[mem.length - 1]! - mem[0]!) / mem[0]!;
      out.push({
        target: `default model: memory flat across ${mem.length} repeated ${d.bigRuns[0]!.cells}-cell runs`,
        measured: `${mem.map((b) => mib(b)).join(' → ')} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} % first → last; page + workers, measureUserAgentSpecificMemory after deleting the case's cells)`,
        pass: growth <= 0.1,
      });
    }
  }
  return out;
}

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(`# DinoBloom Web benchmark — ${r.startedAt.slice(0, 19).replace('T', ' ')} UTC`);
  L.push('');
  L.push(`Machine: **${m.cores} cores** (${m.cpuModel}), ${m.memGiB} GiB, ${m.platform}; ${m.chromium} (headless, \`--no-sandbox --disable-gpu\`); onnxruntime-web ${m.onnxruntimeWeb}, onnxruntime-node ${m.onnxruntimeNode}; Node ${m.node}.`);
  L.push('');
  L.push('Load during the run (1/5/15-min load average, which includes this benchmark\'s own browser and native runs — about 1–2 on their own; other processes using ≥ 10 % CPU):');
  L.push('');
  for (const l of r.loads) L.push(`- ${l.label}: ${l.loadavg.join(' / ')}${l.busy.length ? ` — ${l.busy.join('; ')}` : ''}`);
  L.push('');
  L.push(`Cells: ${r.options.cellSource}. ${r.options.runs} runs per model, browser and native alternating; medians. ${r.options.quick ? '**--quick smoke run: too few runs/cells to quote.**' : ''}`);
  L.push('');
  L.push('## Targets');
  L.push('');
  L.push('| target | measured | |');
  L.push('|---|---|---|');
  for (const t of targets(r)) L.push(`| ${t.target} | ${t.measured} | ${t.pass === null ? '–' : t.pass ? 'pass' : '**miss**'} |`);
  L.push('');
  L.push('## Throughput, browser vs native');
  L.push('');
  L.push('End-to-end cells/s: browser = file input change event → last cell classified by the worker (real UI: storage, store, rendering included); native = sharp decode → same preprocessing → onnxruntime-node (CPU EP, default threads, batch 8) → head, next batch decoded during inference. "pipeline" = the worker\'s own classify loop only. Stage ms/cell: decode / resize+normalise / **wait** (time the inference loop waited for prepared cells — what decoding and resizing actually cost the pipeline) / inference / head. Browser decode and resize run in the decode worker during the previous batch\'s inference (work time, batch wall for decode); native decode is time waiting for sharp (which decodes during inference), native resize runs in the loop.');
  L.push('');
  L.push('| model | cells × runs | browser cells/s | (pipeline) | native cells/s | ratio | browser ms/cell dec / res / wait / inf / head | native ms/cell dec / res / wait / inf / head | browser config | renderer peak RSS |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const x of r.models) {
    const cfg = x.browser.calibration
      ? `${x.browser.calibration.choice.backend} ${x.browser.badge.match(/(\d+) threads?/)?.[1] ?? x.browser.calibration.choice.threads} thr, batch ${x.browser.batchSize}, ${x.browser.ortBuild} build`
      : `batch ${x.browser.batchSize}, ${x.browser.ortBuild} build`;
    const sv = x.browser.secondViewShare ? `; second view on ${fmt(100 * x.browser.secondViewShare, 1)} % of cells` : '';
    L.push(
      `| ${x.label} | ${x.cellsPerRun} × ${x.runs} | ${fmt(x.browser.cellsPerSec, 2)} | ${fmt(x.browser.pipelineCellsPerSec, 2)} | ${fmt(x.native.cellsPerSec, 2)} | **${fmt(x.ratio, 2)}×** | ${stages(x.browser.stagesMsPerCell)} | ${stages(x.native.stagesMsPerCell)} | ${cfg}${sv} | ${fmt(x.browser.peakRendererMiB, 0)} MiB |`,
    );
  }
  L.push('');
  L.push('Per-run cells/s (browser | native):');
  L.push('');
  for (const x of r.models) L.push(`- ${x.label}: ${x.browser.allCellsPerSec.map((v) => fmt(v, 2)).join(', ')} | ${x.native.allCellsPerSec.map((v) => fmt(v, 2)).join(', ')}`);
  L.push('');
  const withCal = r.models.filter((x) => x.browser.calibration);
  if (withCal.length) {
    L.push('On-device calibration (best inference ms/image per backend · threads · batch after a warm-up, one configuration at a time, plus the measured decode + resize cost of one cell; the app picks the fastest *pipeline*: decoding overlaps inference only when a core is left for the decode worker; **bold** = chosen):');
    L.push('');
    for (const x of withCal) {
      const c = x.browser.calibration!;
      const rows = c.trials.map((t) => {
        const s = `${t.backend}·${t.threads}t·b${t.batchSize}: ${fmt(t.msPerImage, 1)}`;
        return t.backend === c.choice.backend && t.threads === c.choice.threads && t.batchSize === c.choice.batchSize ? `**${s}**` : s;
      });
      L.push(`- ${x.label} (${(c.tookMs / 1000).toFixed(1)} s; decode + resize ${fmt(c.prepMs, 1)} ms/cell): ${rows.join(', ')}`);
    }
    L.push('');
  }
  const d = r.defaultExtras;
  if (d) {
    L.push('## Default model: cold start, long tasks, memory');
    L.push('');
    L.push(`Cold start = navigation start → first classified cell (one cell dropped as soon as the file input exists), page clock. First visit = fresh browser profile (nothing cached; the service worker installs meanwhile); repeat visit = reload in the same profile.`);
    L.push('');
    L.push(`- first visit: ${d.firstVisit.map((v) => `${fmt(v.firstResultMs, 0)} ms (model ready ${fmt(v.modelReadyMs, 0)})`).join(', ')}`);
    L.push(`- repeat visit: ${d.repeatVisit.map((v) => `${fmt(v.firstResultMs, 0)} ms (model ready ${fmt(v.modelReadyMs, 0)})`).join(', ')}`);
    L.push('');
    L.push(
      'Long tasks: main-thread tasks > 50 ms from the file input\'s change event until the UI is idle. The task in which the browser hands the 500 picked files to the page is shown apart (*file-input task*): setting 500 files on a bare input with no listener made a 100–225 ms task in this Chromium, so it is the browser\'s; only its part after the change event (the app\'s handler, *app part*) is the app\'s and counts when over 50 ms.',
    );
    L.push('');
    L.push('| run | cells | cells/s | UI idle after | app long tasks > 50 ms (count / longest / total) | file-input task (app part) | memory after deleting the cells | renderer RSS (peak) |');
    L.push('|---|---|---|---|---|---|---|---|');
    d.bigRuns.forEach((b, i) => {
      const fi = b.longTasks.fileInputTask;
      L.push(
        `| ${i + 1} | ${b.cells} | ${fmt(b.cellsPerSec, 1)} | ${fmt(b.uiIdleMs / 1000, 1)} s | ${b.longTasks.count} / ${fmt(b.longTasks.maxMs, 0)} ms / ${fmt(b.longTasks.totalMs, 0)} ms | ${fi ? `${fmt(fi.ms, 0)} ms (${fmt(fi.appMs, 0)} ms)` : 'none > 50 ms'} | ${mib(b.memoryBytes)} MiB | ${fmt(b.rendererRssMiB, 0)} MiB (${fmt(b.rendererPeakMiB, 0)}) |`,
      );
    });
    L.push('');
  }
  if (r.training?.length) {
    L.push('## Training a lab head');
    L.push('');
    L.push(
      'Seconds from `train()` to its result, for everything the lab waits for: stratified 5-fold evaluation (C chosen inside each fold by 3-fold inner cross-validation along the warm-started C path), kNN k = 1 and 20 on the same folds, temperature scaling, and the final fit (C chosen again on all cells). Browser = the training worker’s `TrainingEngine` in a Chromium Web Worker; Node = the same class (what `npm run train-head` runs). One run each, after the inference rows (see the load samples).',
    );
    L.push('');
    L.push('*CPU s*: the Node process\'s CPU time during the run — on a machine shared with other work the wall time is longer; the CPU time is what the run needs of one otherwise idle core.');
    L.push('');
    L.push('| where | data | seconds | CPU s | k-fold part | final fit | C (per fold) | C values tried (final) | balanced acc. (LR / kNN 1 / kNN 20) | T |');
    L.push('|---|---|---|---|---|---|---|---|---|---|');
    const p1 = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);
    for (const t of r.training) {
      L.push(
        `| ${t.where} | ${t.data} | **${fmt(t.seconds, 1)}** | ${t.cpuSeconds === undefined ? '–' : fmt(t.cpuSeconds, 1)} | ${fmt(t.evaluationSeconds, 1)} s | ${fmt(t.finalSeconds, 1)} s | ${t.C} (${t.cPerFold.join(', ')}) | ${t.cEvaluated} | ${p1(t.balancedAccuracy)} / ${t.knnBalancedAccuracy.map(p1).join(' / ')} | ${fmt(t.temperature, 2)} |`,
      );
    }
    L.push('');
  }
  if (r.labHead) {
    const h = r.labHead;
    L.push('## Lab head in the app');
    L.push('');
    L.push(
      `Models → Lab heads, a labelled folder of ${h.cells} crops in ${h.classes} classes picked with the directory input, then *Train head*: embedding with the active encoder in the inference worker (nothing cached), then the training worker. Model: ${h.model}.`,
    );
    L.push('');
    L.push('| embedding | cells/s | training | again (embeddings cached) | k-fold balanced accuracy |');
    L.push('|---|---|---|---|---|');
    L.push(`| ${fmt(h.embedSeconds, 1)} s | **${fmt(h.embedCellsPerSec, 1)}** | ${fmt(h.trainSeconds, 1)} s | ${fmt(h.cachedEmbedSeconds, 1)} s | ${h.balancedAccuracy === null ? '–' : `${(100 * h.balancedAccuracy).toFixed(1)} %`} |`);
    L.push('');
  }
  if (r.levers?.length) {
    L.push('## Levers (measured in this run)');
    L.push('');
    L.push('| group | lever | model | metric | baseline | variant | change | runs | note |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const l of r.levers) {
      if (l.runs === 0) {
        L.push(`| ${l.group} | ${l.lever} | ${l.model} | – | – | – | – | 0 | ${l.note ?? ''} |`);
        continue;
      }
      const change = l.better === 'lower' ? (l.baseline.value / l.variant.value) : (l.variant.value / l.baseline.value);
      L.push(
        `| ${l.group} | ${l.lever} | ${l.model} | ${l.metric} | ${l.baseline.label}: ${fmt(l.baseline.value, 1)} | ${l.variant.label}: ${fmt(l.variant.value, 1)} | ${change >= 1 ? '' : '**'}${fmt(change, 2)}× ${change >= 1 ? 'faster' : 'slower**'} | ${l.runs} | ${l.note ?? ''} |`,
      );
    }
    L.push('');
  }
  if (r.notes.length) {
    L.push('## Notes');
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}
