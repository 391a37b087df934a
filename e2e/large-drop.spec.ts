/** A 2,000-file drop streams through the worker without freezing or losing files; Cancel keeps the rest. */
import { expect, test } from './fixtures.ts';
import { AppPage } from './pages/AppPage.ts';
import { distinctCrops, type CropFile } from './pages/crops.ts';

/** n distinct small crops (the app refuses identical files, so the bytes must differ). */
async function smallCrops(n: number): Promise<CropFile[]> {
  return distinctCrops(n, { size: 96, quality: 80, prefix: 'crop' });
}

test('2,010 files in one drop: every good one classified, every bad one its own error row', async ({ page }) => {
  test.setTimeout(600_000);
  const app = new AppPage(page);
  await app.open();
  // the thread count the on-device calibration settles on here (1 ORT thread beside the decode worker
  // on 2 cores); a fresh profile starts at 2 and calibrates only when idle, which this run never is
  await app.setBackend('wasm', 1);
  const good = await smallCrops(2000);
  const bad = Array.from({ length: 10 }, (_, i) => ({ name: `broken-${i}.png`, mimeType: 'image/png', buffer: Buffer.from(`not a png ${i}`) }));
  await app.addFiles([...good.slice(0, 1000), ...bad, ...good.slice(1000)]);
  await expect(page.getByTestId('progress-text')).toBeVisible();
  await app.waitForIdle();
  await expect(app.errorRows()).toHaveCount(10, { timeout: 120_000 });
  expect(await app.resultCount()).toBe(2000);
});

test('Cancel stops the run and keeps the remaining cells waiting; they can be resumed', async ({ page }) => {
  test.setTimeout(300_000);
  const app = new AppPage(page);
  await app.open();
  await app.addFiles(await smallCrops(400));
  await expect(page.getByTestId('progress-text')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  const resume = page.getByRole('button', { name: /^Classify \d+ waiting cells?$/ });
  await expect(resume).toBeVisible();
  const done = await app.resultCount();
  expect(done).toBeLessThan(400);
  await resume.click();
  await app.waitForIdle();
  expect(await app.resultCount()).toBe(400);
});
