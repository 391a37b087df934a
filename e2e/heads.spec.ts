/**
 * Lab heads (issue 12): train a head from a labelled folder in the browser, see its k-fold metrics,
 * use it, and check that new cells carry it, in the exports too, and that it survives a reload.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { DEFAULT_MODEL_ID } from '../src/config.ts';
import { expect, test } from './fixtures.ts';
import { AppPage, labelOf, pbcFixtures } from './pages/AppPage.ts';
import { LabHeads, labelledFixtureFolder } from './pages/LabHeads.ts';

const CLASSES = ['eosinophil', 'lymphocyte', 'neutrophil', 'platelet'];

test('train a lab head from a labelled folder, use it, keep it across a reload, and take it to another workstation', async ({ page, browser }) => {
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

  // The first model badge the reloaded page shows must already name the lab head: a model shown with
  // the bundle's head first (then switched) would classify cells dropped at once with the wrong head.
  await page.addInitScript(() => {
    const w = window as unknown as { __firstBadge?: string };
    const seen = new MutationObserver(() => {
      const badge = document.querySelector('[data-testid="model-badge"]');
      if (badge && w.__firstBadge === undefined) {
        w.__firstBadge = badge.textContent ?? '';
        seen.disconnect();
      }
    });
    seen.observe(document, { childList: true, subtree: true, characterData: true });
  });
  await page.reload();
  await app.waitForModel();
  expect(await page.evaluate(() => (window as unknown as { __firstBadge?: string }).__firstBadge)).toContain(`head: ${json.model.head.name}`);
  const again = JSON.parse(await app.exportJson());
  expect(again.model.head).toEqual(json.model.head);
  expect(again.rows.map((r: { predictedClass: string }) => r.predictedClass)).toEqual(json.rows.map((r: { predictedClass: string }) => r.predictedClass));

  // another workstation (a fresh profile): the head as a file, without and with the encoder files
  type Row = { file: string; probabilities: Record<string, number>; head: { id: string; name: string } };
  const probsOf = (j: { rows: Row[] }) => new Map(j.rows.filter((r) => cells.some((f) => path.basename(f) === r.file)).map((r) => [r.file, r.probabilities]));
  const here = probsOf(json);
  const headName = json.model.head.name as string;
  await heads.open();
  const headOnlyZip = await heads.exportHead(headName, false);
  const fullZip = await heads.exportHead(headName, true);
  expect(fs.statSync(headOnlyZip).size).toBeLessThan(fs.statSync(fullZip).size / 4); // no encoder inside
  // an encoder with a second view keeps its own head as the gate (the lab head only classifies there)
  const encoderManifest = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, `../public/models/${DEFAULT_MODEL_ID}/manifest.json`), 'utf8'));
  const entries = unzipSync(fs.readFileSync(fullZip), { filter: (f) => f.name.endsWith('.json') });
  const exported = Object.keys(entries);
  const gated = JSON.parse(strFromU8(entries[exported.find((n) => n.endsWith('/manifest.json'))!]!));
  if (encoderManifest.encoder.secondView) {
    expect(gated.encoder.secondView.gate).toEqual({ file: 'second-view-gate.json', bytes: encoderManifest.head.bytes, sha256: encoderManifest.head.sha256 });
    expect(exported.some((n) => n.endsWith('/second-view-gate.json'))).toBe(true);
  } else {
    expect(gated.encoder.secondView).toBeUndefined();
  }
  for (const [zip, withEncoder] of [[headOnlyZip, false], [fullZip, true]] as const) {
    const context = await browser.newContext();
    const other = await context.newPage();
    const app2 = new AppPage(other);
    await app2.open();
    const heads2 = new LabHeads(other);
    await heads2.open();
    await other.getByLabel('Import .zip…').setInputFiles(zip);
    if (withEncoder) {
      // a complete model: listed, activated, its own (bundle) head is the lab head
      await expect(other.getByTestId('model-badge')).toContainText(headName, { timeout: 120_000 });
    } else {
      await expect(other.getByTestId('import-message')).toContainText(`Imported lab head "${headName}" v1`);
      await heads2.region.getByRole('button', { name: `Use ${headName}` }).click();
      await expect(other.getByTestId('head-message')).toContainText('New cells are now classified by');
    }
    await app2.addFiles(cells);
    await app2.waitForIdle();
    const there = JSON.parse(await app2.exportJson());
    expect(there.classes).toEqual(CLASSES);
    if (!withEncoder) expect(there.model.head).toMatchObject({ id: json.model.head.id, name: headName, version: '1' });
    const theirs = probsOf(there);
    expect(theirs.size).toBe(cells.length);
    for (const [file, p] of here) {
      const q = theirs.get(file)!;
      for (const [c, v] of Object.entries(p)) expect(Math.abs(v - q[c]!), `${file} p(${c}) (${withEncoder ? 'with' : 'without'} encoder)`).toBeLessThan(1e-5);
    }
    await context.close();
  }
});

test('a head bundle for an encoder this workstation does not have is refused with the reason; nothing is stored', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  const heads = new LabHeads(page);
  await heads.open();
  const manifest = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../public/models/pbc-compact-cnn-v1/manifest.json'), 'utf8'));
  const head = fs.readFileSync(path.join(import.meta.dirname, '../public/models/pbc-compact-cnn-v1/head.json'));
  manifest.id = 'some-other-encoder';
  manifest.name = 'Some other encoder';
  delete manifest.shift;
  const headJson = JSON.parse(head.toString('utf8'));
  headJson.labHead = { id: 'x', name: 'Their head', version: '1', createdAt: new Date().toISOString(), encoder: { bundleId: 'some-other-encoder', encoderSha256: manifest.encoder.variants[0].sha256 } };
  const headBytes = Buffer.from(JSON.stringify(headJson));
  manifest.head = { ...manifest.head, bytes: headBytes.length, sha256: createHash('sha256').update(headBytes).digest('hex') };
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'head-bundle-')), 'their-head');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(dir, 'head.json'), headBytes);
  await page.getByLabel('Import bundle folder…').setInputFiles(dir);
  await expect(page.getByTestId('model-notice')).toContainText('lab head for the encoder "Some other encoder" (some-other-encoder), which this workstation does not have');
  await expect(page.getByTestId('model-notice')).toContainText('Nothing was stored');
  await expect(heads.region.getByTestId('head-list').getByRole('listitem').filter({ hasText: 'Their head' })).toHaveCount(0);
});
