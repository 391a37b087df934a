/**
 * Drives the production build in headless Chromium through its real UI (file input, Delete this case's cells),
 * and reads the inference worker's cumulative counters (`self.__dinobloomStats`, workers/engine.ts),
 * main-thread long tasks (PerformanceObserver 'longtask') and memory
 * (performance.measureUserAgentSpecificMemory, available because the page is cross-origin isolated).
 */
import type { Browser, BrowserContext, Page, Worker } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellFiles, type Cell } from './cells.ts';
import type { RoundResult, Stages } from './native.ts';

export interface EngineStats {
  jobs: number;
  cells: number;
  /** cells that got the bundle's second view (absent in workers before encoder.secondView) */
  secondViewCells?: number;
  batches: number;
  busyMs: number;
  timings: Stages;
  batchSize: number;
  overlapDecode: boolean;
  ortBuild: string | null;
  calibration: {
    cached: boolean;
    choice: { backend: string; threads: number; batchSize: number; msPerImage: number };
    trials: { backend: string; threads: number; batchSize: number; msPerImage: number; runs: number }[];
    tookMs: number;
    prepMs?: number;
  } | null;
  lastBatchEndEpochMs: number;
  batchEndsEpochMs: number[];
}

export interface LongTasks {
  /** main-thread tasks > 50 ms that are the app's (see BenchApp.longTasksBetween) */
  count: number;
  maxMs: number;
  totalMs: number;
  /** the browser's task that delivered the picked files (ends with the change event): its length, and the app's part of it */
  fileInputTask?: { ms: number; appMs: number } | null;
}

export interface BrowserRound extends RoundResult {
  /** the inference worker's own wall time inside classify() (no UI, no storage) */
  pipelineMs: number;
  pipelineCellsPerSec: number;
  /** from the file input's change event until the UI shows no progress bar any more */
  uiIdleMs: number;
  longTasks: LongTasks;
  /** share of the round's cells that got the bundle's second view (encoder.secondView; 0 without one) */
  secondViewShare: number;
}

export interface TuningOverride {
  backend?: 'wasm' | 'webgpu';
  threads?: number;
  batchSize?: number;
  ortBuild?: 'wasm' | 'jsep';
  overlapDecode?: boolean;
}

/** Installed before any page script: long-task observer and the time of the file input's change event. */
export const INIT_SCRIPT = `
  window.__bench = { longtasks: [], changeAt: 0 };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__bench.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { window.__bench.longtaskError = String(e); }
  document.addEventListener('change', () => { window.__bench.changeAt = performance.timeOrigin + performance.now(); }, true);
  // bubbling listener on window: runs after the app's own (React's root) change handler
  window.addEventListener('change', () => { window.__bench.changeEnd = performance.timeOrigin + performance.now(); }, false);
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BenchApp {
  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly origin: string,
  ) {}

  readonly consoleErrors: string[] = [];
  /** where cells are written as files for the file input (see cellFiles) */
  cellDir = join(tmpdir(), 'dinobloom-bench-cells');

  static async open(browser: Browser, origin: string, query = ''): Promise<{ app: BenchApp; readyMs: number; badge: string }> {
    const context = await BenchApp.newContext(browser);
    const page = await context.newPage();
    const app = new BenchApp(context, page, origin);
    page.on('console', (m) => {
      if (m.type() === 'error') app.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => app.consoleErrors.push(String(e)));
    const t0 = Date.now();
    await page.goto(`${origin}/${query}`);
    const badge = await app.waitForModel();
    return { app, readyMs: Date.now() - t0, badge };
  }

  /**
   * Cold start as a user sees it: navigate, drop one cell as soon as the file input exists, and time
   * navigation start → first classified cell on the page's own clock (also when the model was ready).
   * `context` decides what is cached: a fresh context is a first visit (nothing cached).
   */
  static async coldStart(
    context: BrowserContext,
    origin: string,
    cell: Cell,
    reload = false,
  ): Promise<{ firstResultMs: number; modelReadyMs: number; badge: string; workerStartMs: number; marks: Record<string, number> }> {
    const page = context.pages()[0] ?? (await context.newPage());
    if (reload) await page.reload({ waitUntil: 'commit' });
    else await page.goto(`${origin}/`, { waitUntil: 'commit' });
    const readyP = page.waitForFunction(() => (document.querySelector('[data-testid="model-badge"]') ? performance.now() : null), undefined, {
      polling: 'raf',
      timeout: 120_000,
    });
    readyP.catch(() => {});
    // Drop as soon as the app accepts cells: once the stored session has been restored (the model
    // starts loading right after). Cells dropped before that are lost by the app (see README).
    await page.locator('[data-testid="model-loading"], [data-testid="model-badge"]').first().waitFor({ timeout: 60_000 });
    const app = new BenchApp(context, page, origin);
    await page.getByLabel('Add cell images').setInputFiles(cellFiles([cell], app.cellDir), { timeout: 60_000 });
    const firstResultMs = await app.firstResultMs();
    const modelReadyMs = (await (await readyP).jsonValue()) as number;
    const badge = (await page.getByTestId('model-badge').textContent()) ?? '';
    return { firstResultMs, modelReadyMs, badge, ...(await app.loadMarks()) };
  }

  static async newContext(browser: Browser): Promise<BrowserContext> {
    const context = await browser.newContext({ acceptDownloads: false });
    await context.addInitScript(INIT_SCRIPT);
    return context;
  }

  async waitForModel(timeoutMs = 300_000): Promise<string> {
    const badge = this.page.getByTestId('model-badge');
    const error = this.page.getByTestId('model-error');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await badge.isVisible().catch(() => false)) return (await badge.textContent()) ?? '';
      if (await error.isVisible().catch(() => false)) throw new Error(`model failed to load: ${await error.textContent()}`);
      await sleep(100);
    }
    throw new Error(`no model after ${timeoutMs} ms`);
  }

  async reload(): Promise<{ readyMs: number; badge: string }> {
    const t0 = Date.now();
    await this.page.reload();
    const badge = await this.waitForModel();
    return { readyMs: Date.now() - t0, badge };
  }

  private worker(): Worker {
    const w = this.page.workers().find((x) => /inference\.worker/.test(x.url()));
    if (!w) throw new Error('no inference worker');
    return w;
  }

  async stats(): Promise<EngineStats> {
    return this.worker().evaluate(() => (self as unknown as { __dinobloomStats: EngineStats }).__dinobloomStats);
  }

  /** Waits for the background calibration of the loaded model (or a cached one). */
  async waitCalibrated(timeoutMs: number): Promise<EngineStats['calibration']> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await this.stats();
      if (s.calibration) return s.calibration;
      await sleep(500);
    }
    return null;
  }

  /** Writes (or clears) the benchmark's tuning override; it applies from the next page load. */
  async setOverride(o: TuningOverride | null): Promise<void> {
    await BenchApp.writeOverride(this.page, o);
  }

  /** The same on any page of the app's origin (e.g. before the app's first visit). */
  static async writeOverride(page: Page, o: TuningOverride | null): Promise<void> {
    await page.evaluate(async (value) => {
      const open = indexedDB.open('dinobloom-calibration');
      const db: IDBDatabase = await new Promise((ok, ko) => {
        open.onupgradeneeded = () => open.result.createObjectStore('calibration');
        open.onsuccess = () => ok(open.result);
        open.onerror = () => ko(open.error);
      });
      const tx = db.transaction('calibration', 'readwrite');
      if (value) tx.objectStore('calibration').put(value, 'override');
      else tx.objectStore('calibration').delete('override');
      await new Promise((ok) => (tx.oncomplete = ok));
      db.close();
    }, o);
  }

  /** Adds the cells through the real file input and waits until the worker has classified all of them. */
  async round(cells: Cell[], timeoutMs = 600_000): Promise<BrowserRound> {
    const files = cellFiles(cells, this.cellDir);
    const before = await this.stats();
    await this.page.evaluate(() => {
      const b = (window as unknown as { __bench: { changeAt: number } }).__bench;
      b.changeAt = 0;
    });
    await this.page.getByLabel('Add cell images').setInputFiles(files);
    const deadline = Date.now() + timeoutMs;
    let after = before;
    while (after.cells - before.cells < cells.length) {
      if (Date.now() > deadline) throw new Error(`round timed out: ${after.cells - before.cells}/${cells.length} cells`);
      await sleep(100);
      after = await this.stats();
    }
    const changeAt = await this.page.evaluate(() => (window as unknown as { __bench: { changeAt: number } }).__bench.changeAt);
    await this.waitIdle(deadline);
    const idleAt = await this.page.evaluate(() => performance.timeOrigin + performance.now());
    const lt = await this.longTasksBetween(changeAt, idleAt);
    const wallMs = after.lastBatchEndEpochMs - changeAt;
    const pipelineMs = after.busyMs - before.busyMs;
    const d = (k: keyof Stages): number => (after.timings[k] ?? 0) - (before.timings[k] ?? 0);
    return {
      cells: cells.length,
      wallMs,
      cellsPerSec: (cells.length / wallMs) * 1000,
      stages: { decodeMs: d('decodeMs'), resizeMs: d('resizeMs'), inferenceMs: d('inferenceMs'), headMs: d('headMs'), waitMs: d('waitMs') },
      pipelineMs,
      pipelineCellsPerSec: (cells.length / pipelineMs) * 1000,
      uiIdleMs: idleAt - changeAt,
      longTasks: lt,
      secondViewShare: ((after.secondViewCells ?? 0) - (before.secondViewCells ?? 0)) / cells.length,
    };
  }

  /** No progress bar and nothing waiting. */
  async waitIdle(deadline = Date.now() + 300_000): Promise<void> {
    const bar = this.page.getByRole('progressbar', { name: 'Classification progress' });
    const waiting = this.page.getByRole('region', { name: /^Waiting/ });
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline) throw new Error('the page did not become idle');
      const busy = (await bar.count()) + (await waiting.count());
      quiet = busy === 0 ? quiet + 1 : 0;
      await sleep(100);
    }
  }

  /**
   * Long tasks from the file input's change event until `toEpochMs`. The task in which the browser
   * hands the picked files to the page (it ends by dispatching `change`) is reported apart: most of it
   * is the browser building the FileList — Playwright's setInputFiles of 500 files on a bare input
   * with no listener at all made a 100–225 ms task here — and only the part after the change event
   * (`appMs`: the app's own handler) is the app's. A task counts against the app when it starts
   * after the change event, or when the app's part of the file-input task is itself over 50 ms.
   */
  async longTasksBetween(fromEpochMs: number, toEpochMs: number): Promise<LongTasks> {
    return this.page.evaluate(
      ([from, to]) => {
        const b = (window as unknown as { __bench: { longtasks: { start: number; duration: number }[]; changeEnd?: number } }).__bench;
        const t0 = performance.timeOrigin;
        const inputTask = b.longtasks.find((e) => t0 + e.start <= from! && t0 + e.start + e.duration >= from!);
        const appMs = inputTask ? Math.max(0, Math.min(t0 + inputTask.start + inputTask.duration, b.changeEnd ?? from!) - from!) : 0;
        const after = b.longtasks.filter((e) => t0 + e.start > from! && t0 + e.start <= to!);
        const counted = [...after.map((e) => e.duration), ...(appMs > 50 ? [appMs] : [])];
        return {
          count: counted.length,
          maxMs: Math.max(0, ...counted),
          totalMs: counted.reduce((s, d) => s + d, 0),
          fileInputTask: inputTask ? { ms: inputTask.duration, appMs } : null,
        };
      },
      [fromEpochMs, toEpochMs],
    );
  }

  /** "Delete this case's cells" (in the case bar's menu), then confirm. */
  async clearSession(): Promise<void> {
    const menu = this.page.getByTestId('case-menu');
    if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) await menu.locator(':scope > summary').click();
    await this.page.getByRole('button', { name: "Delete this case's cells" }).click();
    await this.page.getByRole('button', { name: 'Delete the cells' }).click();
    await this.page.locator('.thumb').first().waitFor({ state: 'detached', timeout: 60_000 }).catch(() => {});
  }

  /** Bytes the page and its workers hold (JS heaps, DOM, WASM memory), via measureUserAgentSpecificMemory. */
  async memoryBytes(): Promise<number | null> {
    return this.page.evaluate(async () => {
      const p = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
      if (!p.measureUserAgentSpecificMemory) return null;
      return (await p.measureUserAgentSpecificMemory()).bytes;
    });
  }

  /**
   * Navigation start → first cell classified, for a page that was just opened: the end of the
   * worker's first batch (its result is posted to the page at that moment), on the page's clock.
   */
  async firstResultMs(timeoutMs = 120_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const w = this.page.workers().find((x) => /inference\.worker/.test(x.url()));
      const ends = w ? await w.evaluate(() => (self as unknown as { __dinobloomStats?: EngineStats }).__dinobloomStats?.batchEndsEpochMs ?? []).catch(() => []) : [];
      if (ends.length > 0) return ends[0]! - (await this.page.evaluate(() => performance.timeOrigin));
      if (Date.now() > deadline) throw new Error('no classified cell');
      await sleep(20);
    }
  }

  /** User-timing marks of the last model load in the worker (ms since the worker started) and its start on the page clock. */
  async loadMarks(): Promise<{ workerStartMs: number; marks: Record<string, number> }> {
    const w = this.worker();
    const { origin, marks } = await w.evaluate(() => ({ origin: performance.timeOrigin, marks: [
      ...performance.getEntriesByType('mark').map((e) => [e.name, e.startTime] as [string, number]),
      // the runtime's .wasm fetch (start and end), to tell download from compile
      ...performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).flatMap((e) => [[`wasm-fetch:start`, e.startTime], [`wasm-fetch:end`, e.startTime + e.duration]] as [string, number][]),
    ] }));
    const pageOrigin = await this.page.evaluate(() => performance.timeOrigin);
    return { workerStartMs: origin - pageOrigin, marks: Object.fromEntries(marks) };
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
