/**
 * A 200-cell slide at 1280×720, as a technologist clears it: the gallery starts without scrolling,
 * the legend and differential stay in view down to the last cell, a class key moves selection and
 * focus to the next cell of the group, Enter opens the large view beside the grid, a re-added file is
 * refused as a duplicate, cells and error rows are removed with an audit entry, and the printed report
 * has the print time, the conventional order and the lab's spellings. Also: 1920×1080, and a 390 px
 * phone reading the result without sideways scrolling. With SCREENSHOTS=1 each state is saved in
 * docs/screenshots/ (docs/review-workflow.md shows them).
 *
 * The 200 crops are made at test time from the 16 committed PBC fixtures (e2e/pages/crops.ts):
 * the app refuses identical files, so each is a different turn/mirror/cut of one of them.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './fixtures.ts';
import { AppPage, FIXTURES } from './pages/AppPage.ts';
import { distinctCrops } from './pages/crops.ts';

const SHOTS = path.resolve(import.meta.dirname, '../docs/screenshots');
async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!process.env.SCREENSHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  // JPEG: a dozen screenshots of a 200-cell gallery as PNG would be ~7 MB in the repository.
  await page.screenshot({ path: path.join(SHOTS, `${name}.jpg`), fullPage, type: 'jpeg', quality: 70 });
}

async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
}

async function legendKey(page: Page, cls: string): Promise<string> {
  return (await page.getByTestId(`legend-${cls}`).locator('kbd').textContent())!.trim();
}

/** Cell ids of a gallery group, in the order shown. */
async function idsOf(group: Locator): Promise<string[]> {
  return group.locator('.thumb').evaluateAll((els) => els.map((e) => e.getAttribute('data-cell-id')!));
}

/** The group (data-testid group-<class>) with the most cells. */
async function biggestGroup(page: Page): Promise<string> {
  const sizes = await page.locator('[data-testid^="group-"]').evaluateAll((els) =>
    els.map((e) => ({ cls: e.getAttribute('data-testid')!.slice('group-'.length), n: e.querySelectorAll('.thumb').length })),
  );
  return sizes.sort((a, b) => b.n - a.n)[0]!.cls;
}

test('200 cells at 1280×720: layout, keys and focus, large view, duplicates, removal, audit, report', async ({ page }) => {
  test.setTimeout(420_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  const app = new AppPage(page);
  await app.open();

  // ---- first visit: three steps, nothing red, nothing to print, export or sign yet
  await expect(page.getByRole('heading', { name: /three steps/ })).toBeVisible();
  await expect(page.getByTestId('sign-gate')).toHaveCount(0);
  await expect(page.locator('.notice--error, .error')).toHaveCount(0);
  for (const name of ['Print report', 'Export CSV', 'Export JSON', 'Sign case']) await expect(page.getByRole('button', { name })).toBeDisabled();
  const keysBefore = await page.locator('.legend__class kbd').allTextContents();
  await expectNoSeriousA11yViolations(page);
  await shot(page, '10-first-visit');

  await page.getByLabel('Sample ID').fill('S-2026-0200');
  await page.getByLabel('Sample ID').press('Tab');
  await page.getByLabel('Operator').fill('A. Tech');
  await page.getByLabel('Operator').press('Tab');
  const crops = await distinctCrops(200);
  await app.addFiles(crops);
  await app.waitForIdle();
  await expect(app.thumbnails()).toHaveCount(200);
  // The legend kept its numbers (the model was already loaded; before it loads the last model's classes are used).
  expect((await page.locator('.legend__class kbd').allTextContents()).slice(0, keysBefore.length)).toEqual(keysBefore);

  // ---- layout: the gallery starts near the top, the first cell is visible without scrolling. Above it
  // only the header and, when the case has one, the shift banner: these crops are 16 cells cut 12 ways,
  // and the default flags the cuts of one (a platelet clump), 6 % of the case, so the banner is up.
  await page.evaluate(() => window.scrollTo(0, 0));
  const first = app.thumbnails().first();
  await expect(first).toBeInViewport({ ratio: 1 });
  const banner = await page.getByTestId('shift-banner').boundingBox();
  expect((await first.boundingBox())!.y).toBeLessThan(400 + (banner?.height ?? 0));
  await expect(page.getByRole('region', { name: 'Classes' })).toBeInViewport();
  // The whole differential too, from the start (notices such as "Last run…" sit in the gallery's column).
  await expect(page.getByTestId('diff-wbc')).toBeInViewport({ ratio: 1 });
  await expect(page.locator('.sidepanel .differential tr').last()).toBeInViewport({ ratio: 1 });
  await shot(page, '11-review-1280x720');

  // ---- the legend (and the differential) are still in view with the last cell
  const last = app.thumbnails().last();
  await last.scrollIntoViewIfNeeded();
  await expect(last).toBeInViewport();
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(500);
  await expect(page.getByRole('region', { name: 'Classes' })).toBeInViewport();
  await expect(page.getByTestId('differential')).toBeInViewport();
  // All of it at 720 px, not one row with the rest scrolled inside the panel: the white-cell total and
  // the last row of the other cells are wholly in view too.
  await expect(page.getByTestId('diff-wbc')).toBeInViewport({ ratio: 1 });
  await expect(page.locator('.sidepanel .differential tr').last()).toBeInViewport({ ratio: 1 });
  await expect(page.getByTestId('bar-target')).toBeInViewport();
  // The last group's heading sticks while its cells scroll.
  const lastGroup = page.locator('[data-testid^="group-"]').last();
  await expect(lastGroup.locator('.gallery__heading')).toBeInViewport();
  await shot(page, '12-last-cell-legend-in-view');

  // ---- a class key reclassifies and moves selection and focus to the next cell of the same group
  await page.evaluate(() => window.scrollTo(0, 0));
  const cls = await biggestGroup(page);
  const group = page.getByTestId(`group-${cls}`);
  const ids = await idsOf(group);
  expect(ids.length).toBeGreaterThan(3);
  const target = cls === 'lymphocyte' ? 'monocyte' : 'lymphocyte';
  await group.locator(`.thumb[data-cell-id="${ids[0]}"]`).click();
  await page.keyboard.press(await legendKey(page, target));
  await expect(page.locator(`.thumb[data-cell-id="${ids[0]}"]`)).toHaveAttribute('data-class', target);
  const next = page.locator(`.thumb[data-cell-id="${ids[1]}"]`);
  await expect(next).toBeFocused();
  await expect(next).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('toast')).toContainText(/1 cell → \S+ · Undo/);
  // The badge now says whose number it is.
  await expect(page.locator(`.thumb[data-cell-id="${ids[0]}"] .thumb__prob`)).toContainText(/^model: \S+ \d+ %$/);
  // Two cells at once (Shift+→ extends the selection): "2 cells → …", focus after the last of them.
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press(await legendKey(page, target));
  await expect(page.getByTestId('toast')).toContainText(/^2 cells → /);
  await expect(page.locator(`.thumb[data-cell-id="${ids[3]}"]`)).toBeFocused();
  await shot(page, '13-after-class-key');
  // Undo from the toast puts both back, and selection and focus with them (the next key corrects them).
  await page.getByTestId('toast').getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator(`.thumb[data-cell-id="${ids[1]}"]`)).toHaveAttribute('data-class', cls);
  await expect(page.locator(`.thumb[data-cell-id="${ids[1]}"]`)).toBeFocused();
  await expect(page.locator('.thumb[aria-pressed="true"]')).toHaveCount(2);
  // Ctrl+Z after a class key: focus goes back to the cell undone, not the one the review moved on to.
  await page.keyboard.press(await legendKey(page, target));
  await expect(page.locator(`.thumb[data-cell-id="${ids[3]}"]`)).toBeFocused();
  await page.keyboard.press('Control+z');
  await expect(page.locator(`.thumb[data-cell-id="${ids[1]}"]`)).toBeFocused();
  await expect(page.locator(`.thumb[data-cell-id="${ids[1]}"]`)).toHaveAttribute('data-class', cls);
  // U: to the first cell still to review, counted in the bar.
  const pendingNow = await page.locator('.thumb:not(.thumb--reviewed)').count();
  await expect(page.getByTestId('to-review')).toHaveText(`${pendingNow} to review U`);
  await page.keyboard.press('u');
  await expect(page.locator('.thumb:focus')).not.toHaveClass(/thumb--reviewed/);
  // A cell focus moves to after a class key is clear of the toast.
  await page.keyboard.press(await legendKey(page, target));
  const focusedBox = (await page.locator('.thumb:focus').boundingBox())!;
  const toastTop = (await page.getByTestId('toast').boundingBox())!.y;
  expect(focusedBox.y + focusedBox.height).toBeLessThanOrEqual(toastTop);
  await page.keyboard.press('Control+z');

  // ---- Enter opens the large view beside the grid; class keys and ←/→ work inside it
  await page.locator(`.thumb[data-cell-id="${ids[3]}"]`).focus();
  await page.keyboard.press('Enter');
  const detail = page.getByRole('region', { name: 'Cell detail' });
  await expect(detail).toBeInViewport();
  await expect(detail).toBeFocused();
  await expect(detail.getByTestId('top3').locator('li')).toHaveCount(3);
  await expect(detail.getByTestId('review-sentence')).toContainText('Model said');
  const nameBefore = await detail.locator('h2').textContent();
  await page.keyboard.press('ArrowRight');
  await expect(detail.locator('h2')).not.toHaveText(nameBefore!);
  const shownId = await page.evaluate(() => document.querySelector('.thumb[aria-pressed="true"]')?.getAttribute('data-cell-id'));
  await page.keyboard.press(await legendKey(page, target));
  await expect(page.locator(`.thumb[data-cell-id="${shownId}"]`)).toHaveAttribute('data-class', target);
  await expect(detail).toBeFocused(); // the key was pressed in the large view: focus stays there
  await expect(detail.getByTestId('review-sentence')).toContainText('Model said');
  await page.locator(`.thumb[data-cell-id="${shownId}"]`).click(); // show the reclassified one
  await expect(detail.getByTestId('review-sentence')).toContainText(/reviewer set/);
  await expect(detail.locator('.detail__image')).toBeVisible();
  await detail.getByRole('button', { name: '3×' }).click();
  await expectNoSeriousA11yViolations(page);
  await shot(page, '14-large-view');
  await page.keyboard.press('Escape');
  await expect(detail).toHaveCount(0);

  // ---- deep in the slide: a correction in the large view can be re-checked with ←, and Esc brings
  // focus back to the grid on a cell that is on screen (the grid widens again when the view closes)
  const deepId = (await app.thumbnails().evaluateAll((els) => els.map((e) => e.getAttribute('data-cell-id')!)))[150]!;
  const deep = page.locator(`.thumb[data-cell-id="${deepId}"]`);
  const deepClass = (await deep.getAttribute('data-class'))!;
  const moveTo = deepClass === 'lymphocyte' ? 'monocyte' : 'lymphocyte';
  await deep.focus();
  await page.keyboard.press('Enter');
  await expect(detail).toBeFocused();
  const deepName = (await deep.getAttribute('data-cell-name'))!;
  await expect(detail.locator('h2')).toHaveText(deepName);
  await page.keyboard.press(await legendKey(page, moveTo));
  await expect(deep).toHaveAttribute('data-class', moveTo);
  await expect(detail.locator('h2')).not.toHaveText(deepName);
  // The toast it raised keeps off the large view's key hints.
  const toastBox = (await page.getByTestId('toast').boundingBox())!;
  const hintsBox = (await detail.getByText(/^Class keys reclassify this cell/).boundingBox())!;
  const apart = (a: typeof toastBox, b: typeof toastBox): boolean =>
    a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
  expect(apart(toastBox, hintsBox), 'toast and key hints overlap').toBe(true);
  const nextName = (await detail.locator('h2').textContent())!;
  await page.keyboard.press('ArrowLeft'); // back to the cell just corrected, now in another group
  await expect(detail.locator('h2')).toHaveText(deepName);
  await expect(detail.getByTestId('review-sentence')).toContainText(/reviewer set/);
  await page.keyboard.press('ArrowRight'); // and on again to where the review was
  await expect(detail.locator('h2')).toHaveText(nextName);
  await page.keyboard.press('Escape');
  await expect(detail).toHaveCount(0);
  const back = page.locator(`.thumb[data-cell-name="${nextName}"]`);
  await expect(back).toBeFocused();
  await expect(back).toBeInViewport({ ratio: 1 });
  await page.waitForTimeout(500); // the grid's re-layout after closing must not carry it away either
  await expect(back).toBeInViewport({ ratio: 1 });
  await page.keyboard.press('Control+z');
  await expect(deep).toHaveAttribute('data-class', deepClass);

  // ---- duplicates: re-adding 5 files adds nothing and says so; hidden files are counted in one line
  const before = await app.thumbnails().count();
  await app.addFiles([
    ...crops.slice(10, 15),
    { name: '.DS_Store', mimeType: 'application/octet-stream', buffer: Buffer.from('mac') },
    { name: 'Thumbs.db', mimeType: 'application/octet-stream', buffer: Buffer.from('win') },
  ]);
  const report = page.getByTestId('add-report');
  await expect(report).toContainText('5 duplicates skipped');
  await expect(report).toContainText('2 hidden or system files skipped (.DS_Store, Thumbs.db)');
  await expect(page.locator('body')).toContainText('duplicate');
  await app.waitForIdle();
  expect(await app.thumbnails().count()).toBe(before);
  await shot(page, '15-duplicates-skipped');
  // "Add anyway" adds them (the reviewer decided), then one of them is removed again — audit-logged.
  await report.getByRole('button', { name: 'Add anyway' }).click();
  await app.waitForIdle();
  await expect(app.thumbnails()).toHaveCount(before + 5);
  const copy = page.locator(`.thumb[data-cell-name="${crops[12]!.name}"]`).last();
  await copy.dblclick();
  await detail.getByRole('button', { name: 'Remove this cell…' }).click();
  await detail.getByRole('button', { name: 'Remove the cell' }).click();
  await expect(app.thumbnails()).toHaveCount(before + 4);

  // ---- an unreadable file gets an error row; it is removable too
  await app.addFiles([path.join(FIXTURES, 'bad', 'notes.jpg')]);
  await app.waitForIdle();
  await expect(app.errorRows()).toHaveCount(1);

  // ---- audit panel: who, when, what, from → to
  await page.getByRole('tab', { name: /^Audit trail/ }).click();
  const audit = page.getByTestId('audit-table');
  await expect(audit.locator('tr[data-action="reclassify"]').first()).toContainText('A. Tech');
  await expect(audit.locator('tr[data-action="reclassify"]').first()).toContainText('→');
  await expect(audit.locator('tr[data-action="remove-cell"]')).toHaveCount(1);
  await expect(audit.locator('tr[data-action="add-cells"]').filter({ hasText: '5 duplicate(s) skipped' })).toHaveCount(1);
  await shot(page, '16-audit-trail');
  await page.getByRole('tab', { name: 'Differential' }).click();

  // ---- gallery options: least confident first, thumbnail size, one class at a time
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByLabel('Least confident first').check();
  const firstGroupConf = await page
    .locator('[data-testid^="group-"]')
    .nth(1)
    .locator('.thumb')
    .evaluateAll((els) => els.filter((e) => !e.getAttribute('aria-label')!.includes('reviewed')).map((e) => Number(/, (\d+) %/.exec(e.getAttribute('aria-label')!)![1])));
  expect(firstGroupConf).toEqual([...firstGroupConf].sort((a, b) => a - b));
  await page.getByLabel('Thumbnail size').fill('200');
  expect(Math.round((await app.thumbnails().first().boundingBox())!.width)).toBe(200);
  await page.getByLabel('Show one class at a time').check();
  await expect(page.locator('[data-testid^="group-"]')).toHaveCount(1);
  await page.getByRole('button', { name: 'Next class →' }).click();
  await shot(page, '17-one-class-at-a-time');
  await page.getByLabel('Show one class at a time').uncheck();
  await page.getByLabel('Thumbnail size').fill('120');
  await page.getByLabel('Least confident first').uncheck();

  // ---- the report: morphology, past the target, print time, order, spellings, right-aligned numbers
  await page.getByText('RBC and platelet morphology (for the report)').click();
  await page.getByLabel('RBC morphology').fill('Anisocytosis +, occasional target cells');
  await page.getByLabel('RBC morphology').press('Tab');
  await page.getByLabel('Platelet morphology').fill('Giant platelets seen');
  await page.getByLabel('Platelet morphology').press('Tab');
  // the bar says it short; its title (what a screen reader and a hover give) says it in full
  await expect(page.getByTestId('bar-target')).toContainText(/\d+ past target/);
  await expect(page.getByTestId('bar-target')).toHaveAttribute('title', /\d+ past the target/);
  await page.waitForTimeout(2500); // the report was last rendered before this: a print must not show that time
  const t0 = await page.evaluate(() => Date.now());
  const pdf = await page.pdf({ format: 'A4' });
  const t1 = await page.evaluate(() => Date.now());
  const pdfPath = path.join(os.tmpdir(), `report-200-${Date.now()}.pdf`);
  fs.writeFileSync(pdfPath, pdf);
  const text = execFileSync('pdftotext', ['-layout', pdfPath, '-']).toString();
  const printed = /Printed (.+?)\. Computed/.exec(text.replace(/\s+/g, ' '))?.[1];
  expect(printed, 'the print time is in the report').toBeTruthy();
  const printedAt = await page.evaluate((s) => Date.parse(s), printed!);
  expect(printedAt).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
  expect(printedAt).toBeLessThanOrEqual(t1);
  const lines = text.split('\n').map((l) => l.trim());
  const at = (label: string): number => lines.findIndex((l) => new RegExp(`^${label}\\s+\\d+\\s+\\d+\\.\\d`).test(l));
  const order = ['Neutrophil', 'Lymphocyte', 'Monocyte', 'Eosinophil', 'Basophil', 'IG'].map(at);
  expect(order.every((i) => i >= 0), `rows found: ${order}`).toBe(true);
  expect(order).toEqual([...order].sort((a, b) => a - b));
  expect(lines.some((l) => /^NRBC\s+\d+/.test(l))).toBe(true);
  expect(text).toMatch(/\b\d+ cells imaged \(1 file could not be read and is not counted\)/);
  expect(text).toContain('Anisocytosis +, occasional target cells');
  expect(text).toContain('Giant platelets seen');
  expect(text).toMatch(/White cells counted: \d+ \(target 100 — \d+ past the target\)/);
  await page.emulateMedia({ media: 'print' });
  expect(await page.locator('.report .differential td').first().evaluate((td) => getComputedStyle(td).textAlign)).toBe('right');
  await page.emulateMedia({ media: 'screen' });
  if (process.env.SCREENSHOTS) fs.copyFileSync(pdfPath, path.join(SHOTS, '18-report-200.pdf'));

  // Removing the error row (audit-logged) takes it out of "imaged" accounting altogether.
  await app.errorRows().getByRole('button', { name: /^Remove / }).click();
  await expect(app.errorRows()).toHaveCount(0);

  // ---- export file names carry the sample ID
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(csvDownload.suggestedFilename()).toMatch(/^dinobloom-S-2026-0200-cells-.+\.csv$/);

  // ---- 1920×1080 and a 390 px phone (reading the result: no sideways scrolling)
  await page.keyboard.press('Escape'); // close the large view the removal left open
  await expect(detail).toHaveCount(0);
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(app.thumbnails().first()).toBeInViewport();
  await expect(page.getByRole('region', { name: 'Classes' })).toBeInViewport();
  await shot(page, '19-review-1920x1080');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await expect(page.getByTestId('differential')).toBeVisible();
  await shot(page, '20-phone-390');
});
