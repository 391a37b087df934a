/**
 * Lab heads (issue 12): train a head from a labelled folder in the browser, see its k-fold metrics,
 * use it, and check that new cells carry it, in the exports too, and that it survives a reload.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures.ts';
import { AppPage, labelOf, pbcFixtures } from './pages/AppPage.ts';
import { LabHeads, labelledFixtureFolder } from './pages/LabHeads.ts';

const CLASSES = ['eosinophil', 'lymphocyte', 'neutrophil', 'platelet'];

test('train a lab head from a labelled folder, use it, and keep it across a reload', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  // two cells classified by the bundle's own head before the lab head exists
  const early = pbcFixtures().filter((f) => labelOf(f) === 'monocyte');
  await app.addFiles(early);
  await app.waitForIdle();
  const heads = new LabHeads(page);
  await heads.open();
  const folder = await labelledFixtureFolder('our lab', CLASSES, 6);
  // a hidden file and a text file: counted and listed, training goes on
  fs.writeFileSync(path.join(folder, 'neutrophil', '.DS_Store'), 'x');
  fs.writeFileSync(path.join(folder, 'neutrophil', 'notes.txt'), 'not an image');
  await heads.pickFolder(folder);
  await expect(page.getByTestId('training-folder')).toContainText('24 images in 4 classes');
  await expect(page.getByTestId('training-folder')).toContainText('2 file(s) skipped');
  await heads.train();
  const bal = await heads.balancedAccuracy();
  expect(bal).toBeGreaterThan(0.25); // 4 classes: chance is 0.25; real crops separate well
  await expect(page.getByTestId('current-head-comparison')).toContainText('balanced accuracy');
  await heads.useThisHead();

  // switching heads changes new cells only: the two early cells keep the bundle head until asked
  const cells = pbcFixtures().filter((f) => CLASSES.includes(labelOf(f)));
  await app.addFiles(cells);
  await app.waitForIdle();
  let json = JSON.parse(await app.exportJson());
  expect(json.model.head).toMatchObject({ name: expect.stringMatching(/^Lab head/), version: '1' });
  expect(json.classes).toEqual(CLASSES);
  const byFile = (j: { rows: { file: string; head: { id: string } }[] }, f: string) => j.rows.find((r) => r.file === f)!;
  for (const f of early) expect(byFile(json, path.basename(f)).head.id).toBe('bundle');
  for (const f of cells) expect(byFile(json, path.basename(f)).head).toEqual(json.model.head);

  // re-classifying the case with the lab head is an explicit, audit-logged action
  await heads.open();
  await heads.region.getByRole('button', { name: /^Re-classify this case with/ }).click();
  await app.waitForIdle();
  json = JSON.parse(await app.exportJson());
  for (const row of json.rows) expect(row.head).toEqual(json.model.head);
  await page.getByRole('tab', { name: /Audit trail/ }).click();
  await expect(page.locator('tr[data-action="reclassify-head"]')).toHaveCount(1);

  await page.reload();
  await app.waitForModel();
  const again = JSON.parse(await app.exportJson());
  expect(again.model.head).toEqual(json.model.head);
  expect(again.rows.map((r: { predictedClass: string }) => r.predictedClass)).toEqual(json.rows.map((r: { predictedClass: string }) => r.predictedClass));
});
