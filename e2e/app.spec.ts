/**
 * The whole path a lab user takes: open → add real PBC crops → every cell classified in the worker →
 * differential adds up → Export CSV → reload restores the session → bad files get their own rows.
 */
import { expect, test } from './fixtures.ts';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv, type JsonExport } from '../src/core/export.ts';
import { DEFAULT_MODEL_ID } from '../src/config.ts';
import { AppPage, FIXTURES, labelOf, pbcFixtures } from './pages/AppPage.ts';
import { DEFAULT_BUNDLE, nativeModel } from './pages/reference.ts';
import { dropFiles } from './pages/dragDrop.ts';

const CLASSES = ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'];

test('classifies real crops with the default model, exports, and restores after reload', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();

  // Isolation + threads: the preview server sends COOP/COEP, so WASM gets all (≤4) cores.
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  expect(await app.backend()).toBe('WASM');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(await app.threads()).toBe(Math.min(cores, 4));
  await expect(page.getByTestId('model-badge')).toContainText('not DinoBloom');
  // How it runs is clipped (still read by a screen reader) until the badge is hovered or focused.
  const backendWidth = async () => (await page.getByTestId('model-badge').locator('.model-badge__tech').boundingBox())?.width ?? 0;
  await page.mouse.move(0, 0);
  expect(await backendWidth()).toBeLessThanOrEqual(1);
  await page.getByRole('group', { name: 'Active model' }).focus();
  await expect.poll(backendWidth).toBeGreaterThan(10);
  await page.getByRole('group', { name: 'Active model' }).blur();
  await expect(page.getByTestId('test-model-notice')).toHaveCount(0);

  const files = pbcFixtures();
  expect(files).toHaveLength(16);
  await app.addFiles(files);
  await app.waitForIdle();

  const classes = await app.classByCellName();
  expect(Object.keys(classes)).toHaveLength(16);
  const unidentified = Object.values(classes).filter((c) => c === 'Unidentified').length;
  expect(await app.differentialTotal()).toBe(16 - unidentified);
  // White cells (percentages), erythroblasts/platelets (per 100 WBC) and Unidentified account for every cell.
  const wbc = await page.getByTestId('differential').locator('tbody tr:not(.member) td:first-of-type').allTextContents();
  const other = await page.getByTestId('per100').locator('tbody tr td:first-of-type').allTextContents();
  expect([...wbc, ...other].map(Number).reduce((a, b) => a + b, 0) + unidentified).toBe(16);
  const pct = await page.getByTestId('differential').locator('tbody tr:not(.member) td:nth-of-type(2)').allTextContents();
  // Each % is its own count over the white cells, to the nearest 0.1; the column says when it adds to 99.9/100.1.
  const wbcTotal = wbc.map(Number).reduce((a, b) => a + b, 0);
  pct.forEach((p, i) => expect(Number(p)).toBeCloseTo(Math.round((1000 * Number(wbc[i])) / wbcTotal) / 10, 5));
  const shownSum = Math.round(pct.map(Number).reduce((a, b) => a + b, 0) * 10) / 10;
  expect(Math.abs(shownSum - 100)).toBeLessThanOrEqual(0.05 * pct.length + 1e-9);
  if (shownSum !== 100) await expect(page.locator('.sidepanel .differential__rounding')).toContainText(`adds to ${shownSum.toFixed(1)}`);
  else await expect(page.locator('.sidepanel .differential__rounding')).toHaveCount(0);

  // The browser gives what native onnxruntime gives on the same int8 file with the same preprocessing.
  const ref = await nativeModel(DEFAULT_BUNDLE, 'int8');
  const refProbs = await ref.predictFiles(files);
  const rows = (JSON.parse(await app.exportJson()) as JsonExport).rows;
  for (const row of rows) {
    const want = refProbs.get(row.file)!;
    for (const c of ref.classes) expect(Math.abs(row.probabilities![c]! - want[c]!), `${row.file} ${c}`).toBeLessThan(5e-3);
  }
  // The default model is trained on PBC: the committed crops come out as their dataset labels. These 16
  // were drawn at random from val/ before any model existed and are kept as drawn, hard ones included;
  // the default (pbc-compact-cnn-v4, PBC val accuracy 97.3 %) gets 13 right here (v3 13, v1 14). The misses
  // are the model's, the same natively (see the annotation): an ig called a neutrophil and a neutrophil
  // called an ig (both also missed by v1 and v3); a platelet whose top class (platelet) is below the
  // unidentified threshold, so shown as Unidentified.
  const misses = files.filter((f) => classes[path.basename(f)] !== labelOf(f));
  test.info().annotations.push({ type: 'fixture misses', description: misses.map((f) => `${path.basename(f)} → ${classes[path.basename(f)]}`).join('; ') || 'none' });
  expect(files.length - misses.length).toBeGreaterThanOrEqual(13);
  for (const f of misses) {
    const want = refProbs.get(path.basename(f))!;
    const refTop = ref.classes.reduce((a, b) => (want[b]! > want[a]! ? b : a));
    // below the unidentified threshold the app shows "Unidentified", which is a miss natively too
    if (want[refTop]! < ref.manifest.unidentifiedThreshold) continue;
    expect(refTop, `${path.basename(f)}: the native model also misses it`).not.toBe(labelOf(f));
  }

  const csv = parseCsv(await app.exportCsv());
  expect(csv[0]).toEqual([
    'file', 'predicted_class', 'confidence', 'user_class', 'status', ...CLASSES.map((c) => `p_${c}`),
    'shift_score', 'shift_flag', 'sample_id', 'model', 'head', 'error',
  ]);
  expect(csv.slice(1).filter((r) => r.length > 1)).toHaveLength(16);
  const col = (name: string) => csv[0]!.indexOf(name);
  for (const r of csv.slice(1).filter((r) => r.length > 1)) {
    const probs = r.slice(5, 13).map(Number);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    expect(r[1]).toBe(classes[r[0]!]);
    expect(r[col('model')]!.startsWith(`${DEFAULT_MODEL_ID} `)).toBe(true);
    expect(r[col('head')]).toMatch(/^bundle head/);
  }
  const json = JSON.parse(await app.exportJson());
  expect(json.model.id).toBe(DEFAULT_MODEL_ID);
  expect(json.model.head).toMatchObject({ id: 'bundle' });
  expect(json.rows).toHaveLength(16);

  await page.reload();
  await app.waitForModel();
  await expect(app.thumbnails()).toHaveCount(16);
  expect(await app.classByCellName()).toEqual(classes);

  // Nothing left the page's origin: no CDN for ORT's wasm, no telemetry.
  expect(app.foreignRequests()).toEqual([]);
});

test('bad files get their own error rows; good files in the same drop are classified; nothing is lost', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  // Four crops that are not the ones copied into bad/dups/ (identical files are refused as duplicates).
  await app.addFiles(pbcFixtures().slice(4, 8));
  await app.waitForIdle();
  const before = await app.classByCellName();

  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bad/expected.json'), 'utf8')) as Record<string, string>;
  await app.addFiles(Object.keys(expected).filter((f) => !f.includes('/')).map((f) => path.join(FIXTURES, 'bad', f)));
  // Same-named files in different folders come in as a folder, so each keeps its relative path.
  await page.getByLabel('Add a folder').setInputFiles(path.join(FIXTURES, 'bad', 'dups'));
  await app.waitForIdle();

  const bad = Object.entries(expected).filter(([, o]) => o !== 'classified');
  await expect(app.errorRows()).toHaveCount(bad.length);
  for (const [file, reason] of bad) {
    const row = app.errorRows().filter({ hasText: file });
    await expect(row, file).toHaveAttribute('data-reason', reason);
  }
  const after = await app.classByCellName();
  for (const [file, outcome] of Object.entries(expected)) if (outcome === 'classified') expect(after[file], file).toBeTruthy();
  for (const [file, cls] of Object.entries(before)) expect(after[file]).toBe(cls);

  // The CSV keeps the bad files as error rows with their message.
  const csv = parseCsv(await app.exportCsv());
  const errorRows = csv.filter((r) => r[4] === 'error');
  expect(errorRows).toHaveLength(bad.length);
  expect(errorRows.every((r) => (r.at(-1) ?? '').length > 0)).toBe(true);
});

test("Delete this case's cells asks first and then empties the gallery and storage", async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  await app.addFiles(pbcFixtures().slice(0, 2));
  await app.waitForIdle();
  await app.openCaseMenu();
  await page.getByRole('button', { name: "Delete this case's cells" }).click();
  await page.getByRole('button', { name: 'Keep them' }).click();
  await expect(app.thumbnails()).toHaveCount(2);
  await app.clearSession();
  await expect(app.thumbnails()).toHaveCount(0);
  await page.reload();
  await app.waitForModel();
  await expect(page.getByText('No cells yet')).toBeVisible();
});

test('cells dropped on the page are added like picked ones; a hidden file is counted, not added; a sample ID still being typed is kept', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  // The sample ID is typed and the files dropped straight away: the field never loses focus (a drop
  // from the desktop does not blur it), and the steps it is in fold away when the cells arrive.
  await page.getByLabel('Operator').fill('D. Rop');
  await page.getByLabel('Sample ID').fill('S-DROP-0001');
  await expect(page.getByLabel('Sample ID')).toBeFocused();
  const files = pbcFixtures().slice(0, 3).map((f) => ({ name: path.basename(f), mimeType: 'image/jpeg', buffer: fs.readFileSync(f) }));
  await dropFiles(page.locator('main'), [...files, { name: '.DS_Store', mimeType: 'application/octet-stream', buffer: Buffer.from('x') }]);
  await app.waitForIdle();
  expect(Object.keys(await app.classByCellName()).sort()).toEqual(files.map((f) => f.name).sort());
  await expect(page.getByTestId('add-report')).toContainText('Added 3 cells.');
  await expect(page.getByTestId('add-report')).toContainText('.DS_Store');
  await expect(page.getByLabel('Sample ID')).toHaveValue('S-DROP-0001');
  await page.reload();
  await app.waitForModel();
  await expect(page.getByLabel('Sample ID')).toHaveValue('S-DROP-0001');
});
