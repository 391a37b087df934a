/**
 * The embedding map and shift banner in a browser, under the app's CSP, on a harness page
 * (e2e/harness/: the real component, core and UMAP worker, bundled by Vite like the app). Checks
 * that 5,000 cells render with labelled axes, hover shows a thumbnail, the lasso selects, UMAP runs
 * in its worker (no eval) and can be cancelled — and measures frame times while hovering and
 * lassoing 5,000 cells (reported, not asserted: speed is a benchmark matter).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'vite';
import { buildCsp } from '../src/security/csp.ts';
import { expect, test } from './fixtures.ts';
import './harness/harnessGlobals.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist-harness');
const MODELS = path.join(ROOT, 'public/models');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png' };

let server: http.Server;
let base = '';

test.beforeAll(async () => {
  test.setTimeout(180_000);
  await build({ configFile: path.join(ROOT, 'e2e/harness/vite.config.ts'), logLevel: 'warn' });
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = url.pathname.startsWith('/models/') ? path.join(MODELS, url.pathname.slice('/models/'.length)) : path.join(DIST, url.pathname === '/' ? 'map.html' : url.pathname);
    if (!file.startsWith(DIST) && !file.startsWith(MODELS)) return void res.writeHead(403).end();
    fs.readFile(file, (err, data) => {
      if (err) return void res.writeHead(404).end();
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': buildCsp([]),
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      });
      res.end(data);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

test.afterAll(async () => {
  await new Promise((ok) => server?.close(ok));
});

test.use({ viewport: { width: 1280, height: 720 } });

async function open(page: import('@playwright/test').Page, n: number) {
  await page.goto(`${base}map.html?n=${n}`);
  await page.waitForFunction(() => window.__mapHarness?.ready === true, undefined, { timeout: 60_000 });
}

/** A pixel of the plot painted with a case cell's colour (not white, not the grey frame), in page coordinates. */
async function pointPixel(page: import('@playwright/test').Page): Promise<{ x: number; y: number }> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="map-canvas"]')!;
    const r = c.getBoundingClientRect();
    const ctx = c.getContext('2d')!;
    const { data, width, height } = ctx.getImageData(0, 0, c.width, c.height);
    const sx = c.width / r.width;
    for (let y = Math.floor(height * 0.2); y < height * 0.8; y += 3) {
      for (let x = Math.floor(width * 0.2); x < width * 0.8; x += 3) {
        const o = (y * width + x) * 4;
        const [R, G, B] = [data[o]!, data[o + 1]!, data[o + 2]!];
        if (Math.max(R, G, B) - Math.min(R, G, B) > 60) return { x: r.left + x / sx, y: r.top + y / sx };
      }
    }
    throw new Error('no coloured point found on the map');
  });
}

test('5,000 cells: renders with labelled axes, banner, hover thumbnail, lasso selection; frame times', async ({ page }, info) => {
  await open(page, 5000);
  const map = page.getByTestId('embedding-map');
  await expect(map.getByTestId('map-x-axis')).toHaveText(/^PC 1 \(\d+(\.\d)? % of variance\)$/);
  await expect(map.getByTestId('map-y-axis')).toHaveText(/^PC 2 \(\d+(\.\d)? % of variance\)$/);
  await expect(map.getByTestId('map-legend')).toContainText('Reference cells');
  await expect(page.getByTestId('shift-banner')).toContainText("unlike the model's training data");
  await expect(map.getByTestId('map-folder-table').locator('tr.emap__row--shifted')).toHaveText(/other-lab/);
  await expect(map.getByTestId('map-canvas')).toHaveAttribute('aria-label', /5000 cells of this case, \d+ flagged as unlike the training data, with \d+ reference cells/);

  // hover a painted point: the tooltip shows its thumbnail
  const p = await pointPixel(page);
  await page.mouse.move(p.x, p.y);
  await expect(map.getByTestId('map-tooltip')).toBeVisible();
  await expect(map.getByTestId('map-tooltip').locator('img')).toHaveAttribute('src', /^data:image\/png/);

  // colour by flag, then by folder: legend follows
  await map.getByLabel('Unlike training data').check();
  await expect(map.getByTestId('map-legend')).toContainText('Unlike the training data');
  await map.getByLabel('Folder (batch)').check();
  await expect(map.getByTestId('map-legend')).toContainText('other-lab');
  await map.getByLabel('Class', { exact: true }).check();

  // frame times: record rAF intervals and long tasks while hovering across the map and drawing a lasso
  const box = (await map.getByTestId('map-canvas').boundingBox())!;
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __long: number[]; __stop: boolean };
    w.__frames = [];
    w.__long = [];
    w.__stop = false;
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: 'longtask', buffered: false });
    let last = performance.now();
    const tick = (t: number) => {
      w.__frames.push(t - last);
      last = t;
      if (!w.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  for (let row = 0; row < 6; row++) {
    const y = box.y + box.height * (0.1 + 0.16 * row);
    await page.mouse.move(box.x + 5, y);
    await page.mouse.move(box.x + box.width - 5, y, { steps: 60 });
  }
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const lasso = Array.from({ length: 80 }, (_, i) => {
    const a = (2 * Math.PI * i) / 80;
    return { x: cx + box.width * 0.3 * Math.cos(a), y: cy + box.height * 0.3 * Math.sin(a) };
  });
  await page.mouse.move(lasso[0]!.x, lasso[0]!.y);
  await page.mouse.down();
  for (const q of lasso) await page.mouse.move(q.x, q.y, { steps: 2 });
  await page.mouse.up();
  const timing = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __long: number[]; __stop: boolean };
    w.__stop = true;
    const f = w.__frames.slice(1).sort((a, b) => a - b);
    const q = (p: number) => f[Math.min(f.length - 1, Math.floor(p * f.length))]!;
    return { frames: f.length, medianMs: q(0.5), p95Ms: q(0.95), maxMs: f[f.length - 1]!, longTasks: w.__long.length, longestTaskMs: Math.max(0, ...w.__long) };
  });
  const pcaMs = await page.evaluate(() => window.__mapHarness!.pcaMs!);
  info.annotations.push({ type: 'map frame time (5,000 cells)', description: JSON.stringify({ ...timing, pcaMs: Math.round(pcaMs) }) });
  console.log(`map frame time, 5,000 cells + 400 reference: ${JSON.stringify(timing)}; PCA ${pcaMs.toFixed(0)} ms`);
  expect(timing.frames).toBeGreaterThan(20);

  // the lasso selected the cells inside it, and the map says how many
  const selected = await page.evaluate(() => window.__mapHarness!.selected.length);
  expect(selected).toBeGreaterThan(50);
  expect(selected).toBeLessThan(5000);
  await expect(map.getByText(`${selected} cells selected`)).toBeVisible();
  await map.getByRole('button', { name: 'Clear selection' }).click();
  expect(await page.evaluate(() => window.__mapHarness!.selected.length)).toBe(0);

  // a click on a point selects that one cell
  const p2 = await pointPixel(page);
  await page.mouse.click(p2.x, p2.y);
  expect(await page.evaluate(() => window.__mapHarness!.selected.length)).toBe(1);
  await expect(map.getByText('1 cell selected')).toBeVisible();
});

test('UMAP runs in its worker under the CSP, with progress; a second run can be cancelled', async ({ page }, info) => {
  await open(page, 1000);
  const map = page.getByTestId('embedding-map');
  await map.getByLabel('UMAP').check();
  await expect(map.getByRole('status')).toContainText('UMAP');
  await expect(map.getByTestId('map-x-axis')).toHaveText('UMAP 1', { timeout: 120_000 });
  await expect(map.getByTestId('map-y-axis')).toHaveText('UMAP 2');
  await expect(map).toContainText('UMAP axes have no units');
  const umapMs = await page.evaluate(() => window.__mapHarness!.umapMs!);
  info.annotations.push({ type: 'UMAP time (1,000 + 400 cells)', description: `${Math.round(umapMs)} ms` });
  console.log(`UMAP 1,000 + 400 cells: ${umapMs.toFixed(0)} ms`);

  await open(page, 5000);
  await map.getByLabel('UMAP').check();
  await expect(map.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await map.getByRole('button', { name: 'Cancel' }).click();
  await expect(map.getByRole('status')).toHaveCount(0, { timeout: 10_000 });
  expect(await page.evaluate(() => window.__mapHarness!.umapError)).toBe('AbortError');
  await expect(map.getByTestId('map-x-axis')).toHaveText(/^PC 1/);
});
