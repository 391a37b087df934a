/**
 * The default built-in (DEFAULT_MODEL_ID, input policy cell-centred-v1): the browser finds the cell
 * and crops around it exactly as the native CLI path does (both run src/core/cellCrop.ts; the Python
 * training code's mirror is checked against it by vitest on committed fixtures), a crop with no cell
 * falls back to the whole crop and says so in the cell's detail, and cells keep the id of the model
 * that classified them when the user switches mid-case to the previous default (v1, whole crop), and the
 * case is re-classified with the active model only when the user asks (other-model notice).
 */
import path from 'node:path';
import sharp from 'sharp';
import { parseCsv, type JsonExport } from '../src/core/export.ts';
import { NOTE_NO_CELL } from '../src/core/cellCrop.ts';
import { DEFAULT_MODEL_ID } from '../src/config.ts';
import { expect, test } from './fixtures.ts';
import { AppPage, pbcFixtures } from './pages/AppPage.ts';
import { nativeModel } from './pages/reference.ts';

const V3 = DEFAULT_MODEL_ID; // the default built-in (cell-centred)
const V1 = 'pbc-compact-cnn-v1';
const V3_BUNDLE = path.resolve(import.meta.dirname, `../public/models/${V3}`);

test('cell-centred default: same probabilities as native, a blank crop says the whole crop was used, cells keep their model id', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  const files = pbcFixtures();
  await expect(page.getByTestId('model-badge')).toContainText('cell-centred');
  const blank = await sharp({ create: { width: 160, height: 160, channels: 3, background: { r: 236, g: 222, b: 205 } } }).png().toBuffer();
  await app.addFiles(files.slice(4));
  await app.addFiles([{ name: 'blank-field.png', mimeType: 'image/png', buffer: blank }]);
  await app.waitForIdle();
  // The switch to the previous default: the cells above are not re-classified by it.
  await app.openModelsPanel();
  await page.getByRole('button', { name: `Use ${V1}` }).click();
  await expect(page.getByTestId('model-badge')).toContainText('PBC compact CNN', { timeout: 120_000 });
  await app.addFiles(files.slice(0, 4));
  await app.waitForIdle();

  const rows = (JSON.parse(await app.exportJson()) as JsonExport).rows;
  expect(rows).toHaveLength(17);
  const modelOf = Object.fromEntries(rows.map((r) => [r.file, r.model?.id]));
  for (const f of files.slice(0, 4)) expect(modelOf[path.basename(f)], path.basename(f)).toBe(V1);
  for (const f of files.slice(4)) expect(modelOf[path.basename(f)], path.basename(f)).toBe(V3);
  const csv = parseCsv(await app.exportCsv()).filter((r) => r.length > 1);
  const modelCol = csv[0]!.indexOf('model');
  expect(new Set(csv.slice(1).map((r) => r[modelCol]!.split(' ')[0]))).toEqual(new Set([V1, V3]));

  // The browser gives what native onnxruntime gives on the same int8 file with the same cell-centred input.
  const ref = await nativeModel(V3_BUNDLE, 'int8');
  expect(ref.spec.resize).toBe('cell-centred-v1');
  const want = await ref.predictFiles(files.slice(4));
  for (const row of rows.filter((r) => r.model?.id === V3 && r.file !== 'blank-field.png')) {
    const w = want.get(row.file)!;
    for (const c of ref.classes) expect(Math.abs(row.probabilities![c]! - w[c]!), `${row.file} ${c}`).toBeLessThan(5e-3);
  }

  // No cell in the crop: classified on the whole crop, and the detail says so.
  const thumb = page.locator('.thumb[data-cell-name="blank-field.png"]');
  await thumb.click();
  await page.keyboard.press('Enter');
  const detail = page.getByRole('region', { name: 'Cell detail' });
  await expect(detail.getByTestId('detail-framing')).toContainText(NOTE_NO_CELL.replace(/\.$/, ''));
  // A real cell has no such note.
  await page.locator(`.thumb[data-cell-name="${path.basename(files[5]!)}"]`).click();
  await page.keyboard.press('Enter');
  await expect(detail.locator('h2')).toHaveText(path.basename(files[5]!));
  await expect(detail.getByTestId('detail-framing')).toHaveCount(0);
});

test('a workstation on the previous default keeps it across reloads, is told once of the new default; a fresh one starts on the default', async ({ page, browser }) => {
  const app = new AppPage(page);
  await app.open();
  await expect(page.getByTestId('model-badge')).toContainText('PBC cell-centred CNN');
  await expect(page.getByTestId('new-default-notice')).toHaveCount(0);
  await app.openModelsPanel();
  await page.getByRole('button', { name: `Use ${V1}` }).click();
  await expect(page.getByTestId('model-badge')).toContainText('PBC compact CNN', { timeout: 120_000 });
  // The badge changes when the model is loaded, just before the choice is written to IndexedDB: a reload
  // at once could race that write (as the "Keep" below could), so the test waits for what a reload reads.
  await expect.poll(() => app.readMeta('activeModel')).toMatchObject({ kind: 'builtin', id: V1 });
  await page.reload();
  await app.waitForModel();
  await expect(page.getByTestId('model-badge')).toContainText('PBC compact CNN');
  const notice = page.getByTestId('new-default-notice');
  await expect(notice).toContainText(`This workstation uses ${V1}, the previous default model. The default is now ${V3}: it was trained harder for other labs' stains`);
  await app.addFiles(pbcFixtures().slice(0, 1));
  await app.waitForIdle();
  expect((JSON.parse(await app.exportJson()) as JsonExport).rows[0]!.model?.id).toBe(V1);
  // "Keep" is remembered: not asked again on this workstation
  await notice.getByRole('button', { name: `Keep ${V1}` }).click();
  await expect(notice).toHaveCount(0);
  // Written asynchronously too. One CI run failed in this test (its log was lost with the machine; not
  // reproduced in 6 tries of an immediate reload): these two races are the candidates the test now rules out.
  await expect.poll(() => app.readMeta(`newDefaultNotice:${V1}->${V3}`)).toBe(true);
  await page.reload();
  await app.waitForModel();
  await expect(page.getByTestId('model-badge')).toContainText('PBC compact CNN');
  await page.waitForTimeout(1500); // the kept flag is read from IndexedDB after the model loads: give it time to (wrongly) show
  await expect(notice).toHaveCount(0);

  // another workstation on v1 takes the offer
  const context = await browser.newContext();
  const other = new AppPage(await context.newPage());
  await other.open(`?builtin=${V1}`);
  await expect(other.page.getByTestId('model-badge')).toContainText('PBC compact CNN', { timeout: 120_000 });
  await other.page.getByTestId('new-default-notice').getByRole('button', { name: `Use ${V3}` }).click();
  await expect(other.page.getByTestId('model-badge')).toContainText('PBC cell-centred CNN', { timeout: 120_000 });
  await expect(other.page.getByTestId('new-default-notice')).toHaveCount(0);
  await context.close();

  // a fresh profile starts on the default, with nothing to tell
  const fresh = await browser.newContext();
  const app3 = new AppPage(await fresh.newPage());
  await app3.open();
  await expect(app3.page.getByTestId('model-badge')).toContainText('PBC cell-centred CNN', { timeout: 120_000 });
  await expect(app3.page.getByTestId('new-default-notice')).toHaveCount(0);
  await fresh.close();
});

test('after a switch of models mid-case the case is told, and re-classified with the active model only on request, reviewer classes and the audit kept', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  const files = pbcFixtures().slice(0, 5);
  await app.addFiles(files);
  await app.waitForIdle();
  await expect(page.getByTestId('other-model-notice')).toHaveCount(0);
  // A reviewer's class on one cell: it must survive the re-classification.
  const reviewed = path.basename(files[0]!);
  await page.locator(`.thumb[data-cell-name="${reviewed}"]`).click();
  await page.keyboard.press((await page.getByTestId('legend-ig').locator('kbd').textContent())!.trim());
  await expect(page.locator(`.thumb[data-cell-name="${reviewed}"]`)).toHaveAttribute('data-class', 'ig');

  await app.openModelsPanel();
  await page.getByRole('button', { name: `Use ${V1}` }).click();
  await expect(page.getByTestId('model-badge')).toContainText('PBC compact CNN', { timeout: 120_000 });
  const notice = page.getByTestId('other-model-notice');
  await expect(notice).toContainText(`5 cells of this case were classified by another model (${V3} v4.0.0)`);
  // Switching alone changed nothing.
  let rows = (JSON.parse(await app.exportJson()) as JsonExport).rows;
  expect(new Set(rows.map((r) => r.model?.id))).toEqual(new Set([V3]));

  // One cell's image bytes gone from browser storage (after a reload, so not in the tab's memory either):
  // it cannot go through the new encoder, and it keeps the result it has.
  await expect.poll(() => app.readMeta('activeModel')).toMatchObject({ kind: 'builtin', id: V1 });
  await page.reload();
  await app.waitForModel();
  const lost = path.basename(files[4]!);
  const stored = (await app.readStore('dinobloom-cells', 'cells', 'all')) as { id: string; name: string }[];
  const lostId = stored.find((c) => c.name === lost)!.id;
  await app.deleteFromStore('dinobloom-images', 'images', lostId);
  await expect(notice).toContainText('5 cells of this case were classified by another model');

  await notice.getByRole('button', { name: /^Re-classify this case with PBC compact CNN/ }).click();
  await app.waitForIdle();
  await expect(page.getByText('1 cell kept the earlier model\'s result: its image is no longer in browser storage')).toBeVisible();
  await expect(notice).toContainText('1 cell of this case was classified by another model');
  rows = (JSON.parse(await app.exportJson()) as JsonExport).rows;
  expect(rows).toHaveLength(5);
  expect(rows.find((r) => r.file === lost)!.model?.id).toBe(V3);
  expect(rows.find((r) => r.file === lost)!.status).not.toBe('error');
  rows = rows.filter((r) => r.file !== lost);
  for (const r of rows) expect(r.model?.id, r.file).toBe(V1);
  // The whole-crop model's own answer for each cell, not v3's carried over.
  const ref = await nativeModel(path.resolve(import.meta.dirname, `../public/models/${V1}`), 'int8');
  const want = await ref.predictFiles(files.slice(0, 4));
  for (const r of rows) for (const c of ref.classes) expect(Math.abs(r.probabilities![c]! - want.get(r.file)![c]!), `${r.file} ${c}`).toBeLessThan(5e-3);
  expect(rows.find((r) => r.file === reviewed)!.userClass).toBe('ig');
  await page.getByRole('tab', { name: /Audit trail/ }).click();
  const entry = page.locator('tr[data-action="reclassify-model"]');
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(`${V3} v4.0.0 · bundle head (5) → ${V1} v1.0.0 · bundle head`);
  await expect(entry).toContainText('4 cell(s) re-classified: 0 from stored embeddings, 4 through the encoder again; reviewer classes kept; 1 kept their earlier result');
});
