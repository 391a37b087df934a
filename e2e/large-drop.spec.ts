/**
 * Cancel during a large drop keeps the rest waiting. (The 2,010-file drop itself, with its broken
 * files, runs in hardening.spec.ts as the first part of the 5,000-cell test, to classify those cells once.)
 */
import { expect, test } from './fixtures.ts';
import { AppPage } from './pages/AppPage.ts';
import { distinctCrops, type CropFile } from './pages/crops.ts';

/** n distinct small crops (the app refuses identical files, so the bytes must differ). */
async function smallCrops(n: number): Promise<CropFile[]> {
  return distinctCrops(n, { size: 96, quality: 80, prefix: 'crop' });
}

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
