/**
 * Start-up A/B: cold start (navigation → first classified cell) of two production builds, measured
 * alternately in one run so that both see the same machine load (on a shared machine a before/after
 * pair of separate bench runs mostly measures the load). For each round and build: a fresh profile
 * (first visit: nothing cached), one cell dropped as soon as the app accepts files; then, once the
 * on-device calibration is cached, a reload of the same profile (repeat visit) with another cell.
 *
 *   npx tsx bench/startup-ab.ts --a <dist A> --b <dist B> [--rounds 4] [--data DIR] [--longtasks]
 *
 * With --longtasks it compares, the same way, main-thread tasks > 50 ms during a 500-cell drop
 * (fresh profile, calibrated, reloaded, then the drop; counted as `npm run bench` does).
 *
 * Prints each measurement and the medians; writes nothing.
 */
import { parseArgs } from 'node:util';
import { BenchApp } from './lib/app.ts';
import { launch } from './lib/browser.ts';
import { loadCells, takeCells } from './lib/cells.ts';
import { sampleLoad, formatLoad } from './lib/machine.ts';
import { serve } from './lib/server.ts';
import { median } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string' }, rounds: { type: 'string' }, data: { type: 'string' }, longtasks: { type: 'boolean', default: false } },
});
if (!args.a || !args.b) throw new Error('--a and --b: the two dist folders');
const rounds = Number(args.rounds ?? 4);
const repo = new URL('..', import.meta.url).pathname;
const cells = takeCells(loadCells(repo, 200, args.data), 2 * rounds * 2 + 2);

async function longTasksAB(browser: Awaited<ReturnType<typeof launch>>, origins: Record<'A' | 'B', string>): Promise<void> {
  const big = takeCells(loadCells(repo, 200, args.data), 500);
  const out: Record<'A' | 'B', { count: number[]; max: number[] }> = { A: { count: [], max: [] }, B: { count: [], max: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const v of (r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as ('A' | 'B')[]) {
      const ctx = await BenchApp.newContext(browser);
      const page = await ctx.newPage();
      await page.goto(`${origins[v]}/`);
      const app = new BenchApp(ctx, page, origins[v]);
      await app.waitForModel();
      await app.waitCalibrated(180_000);
      await app.reload();
      const res = await app.round(big);
      await ctx.close();
      out[v].count.push(res.longTasks.count);
      out[v].max.push(res.longTasks.maxMs);
      console.log(`round ${r + 1} ${v}: ${res.cellsPerSec.toFixed(1)} cells/s, long tasks ${res.longTasks.count} (longest ${res.longTasks.maxMs.toFixed(0)} ms, total ${res.longTasks.totalMs.toFixed(0)} ms) · ${formatLoad(sampleLoad('now'))}`);
    }
  }
  for (const v of ['A', 'B'] as const) console.log(`${v}: long tasks per 500-cell run median ${median(out[v].count)} [${out[v].count.join(', ')}], longest [${out[v].max.map((x) => x.toFixed(0)).join(', ')}] ms`);
}

async function main(): Promise<void> {
  const a = await serve({ '/': args.a! });
  const b = await serve({ '/': args.b! });
  const browser = await launch(['--enable-blink-features=ForceEagerMeasureMemory']);
  if (args.longtasks) {
    try {
      await longTasksAB(browser, { A: a.origin, B: b.origin });
    } finally {
      await browser.close();
      await a.close();
      await b.close();
    }
    return;
  }
  const out: Record<'A' | 'B', { first: number[]; repeat: number[] }> = { A: { first: [], repeat: [] }, B: { first: [], repeat: [] } };
  let c = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const v of (r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as ('A' | 'B')[]) {
        const origin = v === 'A' ? a.origin : b.origin;
        const ctx = await BenchApp.newContext(browser);
        const first = await BenchApp.coldStart(ctx, origin, cells[c++]!);
        const app = new BenchApp(ctx, ctx.pages()[0]!, origin);
        await app.waitCalibrated(180_000);
        const repeat = await BenchApp.coldStart(ctx, origin, cells[c++]!, true);
        await ctx.close();
        out[v].first.push(first.firstResultMs);
        out[v].repeat.push(repeat.firstResultMs);
        console.log(`round ${r + 1} ${v}: first visit ${first.firstResultMs.toFixed(0)} ms (model ready ${first.modelReadyMs.toFixed(0)}), repeat visit ${repeat.firstResultMs.toFixed(0)} ms (model ready ${repeat.modelReadyMs.toFixed(0)}) · ${formatLoad(sampleLoad('now'))}`);
        // where the time went, on the page's clock: worker start, then the worker's load marks
        for (const [visit, x] of [['first', first], ['repeat', repeat]] as const) {
          const phases = Object.entries(x.marks).map(([k, t]) => `${k.replace('load:', '')} ${(x.workerStartMs + t).toFixed(0)}`);
          console.log(`  ${visit}: worker ${x.workerStartMs.toFixed(0)} · ${phases.join(' · ')} · ready ${x.modelReadyMs.toFixed(0)} · first cell ${x.firstResultMs.toFixed(0)}`);
        }
      }
    }
  } finally {
    await browser.close();
    await a.close();
    await b.close();
  }
  for (const v of ['A', 'B'] as const) {
    console.log(`${v}: first visit median ${median(out[v].first).toFixed(0)} ms [${out[v].first.map((x) => x.toFixed(0)).join(', ')}], repeat visit median ${median(out[v].repeat).toFixed(0)} ms [${out[v].repeat.map((x) => x.toFixed(0)).join(', ')}]`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
