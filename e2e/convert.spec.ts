/**
 * Issue 15: drop the official DinoBloom weights into the Models panel → a verified fp32 + int8 encoder
 * bundle built in the browser → the same files as the Python converter → exported → imported in a
 * fresh profile → classifies. Random-weight S checkpoints in all three published layouts are made at
 * test time by tools/fixtures/make_e2e_checkpoints.py (tools/tests/ckpt_formats.py): they are large.
 *
 * Time: one full S conversion + export + re-import (the Zenodo layout); the HF and timm layouts are
 * converted too and must give byte-identical encoder files (their read + build are the same code
 * path, and the stored bundles' sha256 show the tensors mapped identically).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { zipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { expect, test } from './fixtures.ts';
import { compareEmbeddings } from '../src/core/checkpoint/verify.ts';
import { parseCsv } from '../src/core/export.ts';
import { AppPage, pbcFixtures } from './pages/AppPage.ts';
import { ConvertPanel, makeCheckpoints, type E2eCheckpoints } from './pages/ConvertPanel.ts';
import { LabHeads } from './pages/LabHeads.ts';

test.describe.configure({ mode: 'serial' });

const REPO = path.resolve(import.meta.dirname, '..');
let ck: E2eCheckpoints;
/** the export of the Zenodo-layout conversion, reused by the later tests */
let exported: { entries: Record<string, Uint8Array>; zip: Buffer } | null = null;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test.beforeAll(async () => {
  test.setTimeout(600_000);
  const reuse = process.env.E2E_CHECKPOINTS_DIR; // while iterating: a folder made earlier by the script
  ck = reuse ? { dir: reuse, ...JSON.parse(fs.readFileSync(path.join(reuse, 'info.json'), 'utf8')) } : makeCheckpoints('S');
});

test.afterAll(() => {
  if (!process.env.E2E_CHECKPOINTS_DIR && ck?.dir) fs.rmSync(ck.dir, { recursive: true, force: true });
});

async function freshApp(page: import('@playwright/test').Page): Promise<{ app: AppPage; panel: ConvertPanel; modelBefore: string }> {
  const app = new AppPage(page);
  await app.open();
  const panel = new ConvertPanel(page);
  await panel.open();
  return { app, panel, modelBefore: (await page.getByTestId('model-badge').textContent()) ?? '' };
}

test('a crafted pickle asking for os.system is refused by name; nothing stored, the active model stays', async ({ page }) => {
  const { panel, modelBefore } = await freshApp(page);
  await panel.drop(path.join(ck.dir, ck.evil));
  await expect(panel.error()).toContainText('evil.pth: asks for os.system: not a weights file, refused');
  await expect(panel.error()).toContainText('The active model was not changed.');
  await expect(page.getByTestId('imported-models').getByRole('listitem')).toHaveCount(0);
  await expect(page.getByTestId('model-badge')).toHaveText(modelBefore);
});

test('DinoBloom-S.pth (Zenodo teacher) → verified fp32 + int8 bundle, byte-identical to the Python converter\'s, exported as a .zip', async ({ page }) => {
  test.setTimeout(900_000);
  const { app, panel, modelBefore } = await freshApp(page);
  const t0 = Date.now();
  await panel.drop(path.join(ck.dir, ck.files['zenodo-teacher']));
  await expect(page.getByTestId('convert-progress')).toBeVisible();
  const message = await panel.finished();
  console.log(`S conversion (Zenodo layout) in the browser: ${((Date.now() - t0) / 1000).toFixed(1)} s (${await page.getByTestId('convert-timings').textContent()}; ${await page.getByTestId('convert-timings').getAttribute('title')})`);
  expect(message).toMatch(/Converted DinoBloom-S\.pth \(zenodo-teacher\) into "DinoBloom-S" \(dinobloom-s\): fp32 \+ int8 verified/);
  expect(message).toContain('The active model was not changed.');
  await expect(page.getByTestId('model-badge')).toHaveText(modelBefore);
  await expect(panel.bundleItem('DinoBloom-S')).toHaveCount(1);

  const { fileName, entries, zip } = await panel.exportBundle('DinoBloom-S');
  expect(fileName).toBe('dinobloom-s-1.0.zip');
  expect(Object.keys(entries).sort()).toEqual(['encoder.fp32.onnx', 'encoder.int8.onnx', 'manifest.json']);
  const manifest = JSON.parse(Buffer.from(entries['manifest.json']!).toString('utf8'));
  const source = fs.readFileSync(path.join(ck.dir, ck.files['zenodo-teacher']));
  expect(manifest.convertedFrom).toMatchObject({ file: 'DinoBloom-S.pth', bytes: source.length, sha256: sha(source), layout: 'zenodo-teacher' });
  expect(manifest).toMatchObject({ id: 'dinobloom-s', name: 'DinoBloom-S', embeddingDim: 384, architecture: { variant: 'vit_small_patch14', depth: 12, numHeads: 6 } });
  expect(manifest.head).toBeUndefined();
  const int8 = manifest.encoder.variants.find((v: { precision: string }) => v.precision === 'int8');
  expect(int8.verification.minCosine).toBeGreaterThanOrEqual(0.99);
  // the encoders are the Python converter's files for these weights, byte for byte
  for (const f of ['encoder.fp32.onnx', 'encoder.int8.onnx']) expect(sha(entries[f]!), f).toBe(ck.reference!.sha256[f]);
  exported = { entries, zip };

  // no head yet: one click uses it and trains a head on the built-in reference set (downloaded now)
  await page.getByRole('button', { name: 'Use it and train a head on the reference set' }).click();
  await expect(page.getByTestId('model-badge')).toContainText('DinoBloom-S', { timeout: 120_000 });
  const heads = new LabHeads(page);
  await expect(page.getByTestId('training-result')).toBeVisible({ timeout: 400_000 });
  await expect(page.getByTestId('training-result')).toContainText('192 cells');
  const bal = await heads.balancedAccuracy();
  expect(bal).toBeGreaterThan(1 / 8); // random weights, yet better than chance over 8 classes
  await heads.useThisHead();
  await expect(page.getByTestId('no-head-notice')).toHaveCount(0);
  await app.addFiles(pbcFixtures().slice(0, 4));
  await app.waitForIdle();
  const refRows = parseCsv(await app.exportCsv());
  const refHeader = refRows[0]!;
  expect(refRows.length - 1).toBe(4);
  for (const row of refRows.slice(1)) {
    expect(row[refHeader.indexOf('head')]).toContain('Reference set head (PBC, 8 classes)');
    expect(row[refHeader.indexOf('status')]).not.toBe('error');
  }
});

test('the exported encoders embed the fixture crops like the Python converter\'s ONNX (fp32 ≤ 1e-4, int8 cosine ≥ 0.995)', async () => {
  test.skip(!exported, 'needs the export of the previous test');
  const ref = ck.reference!;
  const raw = fs.readFileSync(path.join(ck.dir, ref.inputs));
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const n = ref.crops.length;
  for (const precision of ['fp32', 'int8'] as const) {
    const s = await ort.InferenceSession.create(exported!.entries[`encoder.${precision}.onnx`]!);
    const out = (await s.run({ pixel_values: new ort.Tensor('float32', x, [n, 3, 224, 224]) })).embedding!.data as Float32Array;
    await s.release();
    const { maxAbsDiff: maxAbs, minCosine: minCos } = compareEmbeddings(Float32Array.from(ref.embeddings[precision].flat()), out, 384);
    if (precision === 'fp32') expect(maxAbs).toBeLessThanOrEqual(1e-4);
    else expect(minCos).toBeGreaterThanOrEqual(0.995);
  }
});

test('npm run evaluate accepts the exported bundle (unzipped)', async () => {
  test.skip(!exported, 'needs the export of the previous test');
  test.setTimeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dinobloom-export-'));
  for (const [f, data] of Object.entries(exported!.entries)) fs.writeFileSync(path.join(dir, f), data);
  const out = path.join(dir, 'report.json');
  const fixtures = path.join(REPO, 'e2e/fixtures/pbc');
  execFileSync('npx', ['tsx', 'tools/cli/evaluate.ts', '--bundle', dir, '--data', fixtures, '--train-data', fixtures, '--out', out], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const report = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(JSON.stringify(report)).toContain('knn');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A head over the 8 PBC classes from the Python converter's int8 embeddings of one crop per class (a cosine classifier). */
function referenceHead(): { classes: string[]; weight: number[][]; bias: number[] } {
  const ref = ck.reference!;
  const classes = ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'];
  const weight = classes.map((c) => {
    const e = ref.embeddings.int8[ref.crops.findIndex((f) => f.startsWith(`${c}__`))]!;
    const norm = Math.hypot(...e);
    return e.map((v) => (20 * v) / norm);
  });
  return { classes, weight, bias: classes.map(() => 0) };
}

function withHead(entries: Record<string, Uint8Array>): Buffer {
  const head = referenceHead();
  const headJson = new TextEncoder().encode(JSON.stringify({ format: 'linear-softmax-v1', classes: head.classes, inputDim: 384, weight: head.weight, bias: head.bias }));
  const manifest = JSON.parse(Buffer.from(entries['manifest.json']!).toString('utf8'));
  manifest.id = 'dinobloom-s-test-head';
  manifest.name = 'DinoBloom-S with a test head';
  manifest.head = { type: 'linear-softmax', classes: head.classes, file: 'head.json', bytes: headJson.length, sha256: sha(headJson), trainedOn: 'e2e: one crop per class' };
  const files = { ...entries, 'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)), 'head.json': headJson };
  return Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [`b/${k}`, v])), { level: 0 }));
}

test('in a fresh profile: "Import .zip…" takes the exported bundle; with a head it classifies like the Python converter\'s encoder', async ({ browser }) => {
  test.skip(!exported, 'needs the export of the previous test');
  test.setTimeout(600_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const { app } = await freshApp(page);
  // the export plus a head (the encoder-only export is the same zip without head.json)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dinobloom-zips-'));
  const withHeadZip = path.join(tmp, 'dinobloom-s-with-head.zip');
  fs.writeFileSync(withHeadZip, withHead(exported!.entries));
  // with a head: imported, activated, classifies
  await page.getByLabel('Import .zip…').setInputFiles(withHeadZip);
  await expect(page.getByTestId('import-message')).toContainText('DinoBloom-S with a test head', { timeout: 300_000 });
  await expect(page.getByTestId('model-badge')).toContainText('DinoBloom-S with a test head', { timeout: 300_000 });
  await app.addFiles(pbcFixtures());
  await app.waitForIdle();
  const rows = parseCsv(await app.exportCsv());
  const head = referenceHead();
  const ref = ck.reference!;
  expect(rows.length - 1).toBe(ref.crops.length);
  const header = rows[0]!;
  let maxDiff = 0;
  for (const row of rows.slice(1)) {
    const file = row[header.indexOf('file')]!;
    const e = ref.embeddings.int8[ref.crops.indexOf(path.basename(file))]!;
    const logits = head.weight.map((w) => w.reduce((s, v, j) => s + v * e[j]!, 0));
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    head.classes.forEach((c, k) => {
      maxDiff = Math.max(maxDiff, Math.abs(Number(row[header.indexOf(`p_${c}`)]) - Math.exp(logits[k]! - m) / z));
    });
  }
  expect(maxDiff).toBeLessThanOrEqual(0.02);
  await context.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('Cancel midway (HF flat file): nothing stored, the active model stays', async ({ page }) => {
  test.setTimeout(1_200_000);
  const { panel, modelBefore } = await freshApp(page);
  // Cancel while the encoders are being built
  await panel.drop(path.join(ck.dir, ck.files['hf-flat']));
  await expect(page.locator('[data-stage="build"][aria-current="step"]')).toBeVisible({ timeout: 300_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.error()).toHaveText('Conversion cancelled: nothing was stored. The active model was not changed.');
  await expect(page.getByTestId('imported-models').getByRole('listitem')).toHaveCount(0);
  await expect(page.getByTestId('model-badge')).toHaveText(modelBefore);
});

test('storage full while storing (the timm safetensors file, converted up to the store step): a clear message, nothing stored (nothing half-written), the active model stays', async ({ browser }) => {
  test.setTimeout(900_000);
  const context = await browser.newContext();
  // the browser refuses large writes, as a full disk does
  await context.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value: unknown, key?: IDBValidKey) {
      if (value instanceof Blob && value.size > 10_000_000) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.call(this, value, key);
    };
  });
  const page = await context.newPage();
  const { app, panel, modelBefore } = await freshApp(page);
  // (tensor mapping of all three layouts onto identical weights: src/core/checkpoint/layout.test.ts)
  await panel.drop(path.join(ck.dir, ck.files['timm-safetensors']));
  await expect(panel.error()).toContainText('Not enough browser storage to keep the converted "DinoBloom-S"', { timeout: 600_000 });
  await expect(panel.error()).toContainText('nothing was stored');
  await expect(panel.error()).toContainText('The active model was not changed.');
  await expect(page.getByTestId('imported-models').getByRole('listitem')).toHaveCount(0);
  await expect(page.getByTestId('model-badge')).toHaveText(modelBefore);
  // nothing half-written: no file of the failed bundle is left in IndexedDB
  expect(await app.readStore('dinobloom-bundles-files', 'files', 'count')).toBe(0);
  await context.close();
});
