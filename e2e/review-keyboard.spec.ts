/**
 * A whole case reviewed and signed from the keyboard alone (no mouse event reaches the page): the
 * skip link, the sample fields, the file picker, every cell given its class with a number key (focus
 * moving on to the next cell each time), the large view opened with Enter and used with class keys
 * and ←/→, Esc back to the grid, and Sign case → confirm. Focus is never lost to the page body.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { AppPage, labelOf, pbcFixtures } from './pages/AppPage.ts';

/** Tab (or Shift+Tab) until `matches` holds for the focused element; fails after `max` presses. */
async function tabTo(page: Page, matches: (el: Element) => boolean, back = false, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate(`(${matches.toString()})(document.activeElement)`)) return;
  }
  throw new Error('the element was not reached with Tab');
}

const focusedCellName = (page: Page): Promise<string | null> => page.evaluate(() => document.activeElement?.getAttribute('data-cell-name') ?? null);

async function keyOf(page: Page, cls: string): Promise<string> {
  return (await page.getByTestId(`legend-${cls}`).locator('kbd').textContent())!.trim();
}

test('keyboard only: select, reclassify, open the large view, next, sign', async ({ page }) => {
  test.setTimeout(240_000);
  await page.addInitScript(() => {
    (window as unknown as { __mouse: number }).__mouse = 0;
    for (const t of ['mousedown', 'mouseup', 'click', 'pointerdown']) {
      window.addEventListener(t, (e) => {
        // Keyboard activation of a button also fires "click", but with detail 0 and no pointer.
        if (e.isTrusted && (t !== 'click' || (e as MouseEvent).detail > 0)) (window as unknown as { __mouse: number }).__mouse++;
      }, true);
    }
  });
  await page.setViewportSize({ width: 1280, height: 720 });
  const app = new AppPage(page);
  await app.open();

  // The skip link comes first; on an empty case it leads to the first step.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the cells' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Sample ID')).toBeFocused();
  await page.keyboard.type('S-KEY-0016');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Operator')).toBeFocused();
  await page.keyboard.type('K. Board');
  // The file picker, opened with the keyboard.
  await tabTo(page, (el) => el.matches('input[type=file]:not([webkitdirectory])'));
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
  const files = pbcFixtures();
  await chooser.setFiles(files);
  await app.waitForIdle();
  await expect(app.thumbnails()).toHaveCount(16);
  await expect(page.getByLabel('Sample ID')).toHaveValue('S-KEY-0016');
  // The steps (whose picker had focus) folded into the slim bar: focus is on the bar's own picker, not the page.
  await expect(page.locator('.casebar__row input[type=file]').first()).toBeFocused();

  // G: to the gallery (the first cell in review order).
  await page.keyboard.press('g');
  expect(await focusedCellName(page)).toBeTruthy();

  let openedDetail = false;
  for (let step = 0; step < 60; step++) {
    const pending = await page.locator('.thumb:not(.thumb--reviewed)').count();
    if (pending === 0) break;
    const name = await focusedCellName(page);
    expect(name, `focus is on a cell at step ${step}`).toBeTruthy();
    if (!openedDetail && step >= 3) {
      // Enter: the large view, with focus in it; a class key there classifies its cell and shows the next.
      openedDetail = true;
      await page.keyboard.press('Enter');
      const detail = page.getByRole('region', { name: 'Cell detail' });
      await expect(detail).toBeFocused();
      await expect(detail.locator('h2')).toHaveText(name!);
      await page.keyboard.press(await keyOf(page, labelOf(name!)));
      await expect(page.locator(`.thumb[data-cell-name="${name}"]`)).toHaveClass(/thumb--reviewed/);
      await expect(detail).toBeFocused();
      await expect(detail.locator('h2')).not.toHaveText(name!);
      // ← goes back to the cell just done, → forward again, Esc returns focus to the grid on the shown cell.
      await page.keyboard.press('ArrowLeft');
      await expect(detail.locator('h2')).toHaveText(name!);
      await page.keyboard.press('ArrowRight');
      const shown = (await detail.locator('h2').textContent())!;
      await page.keyboard.press('Escape');
      await expect(detail).toHaveCount(0);
      expect(await focusedCellName(page)).toBe(shown);
      continue;
    }
    await page.keyboard.press(await keyOf(page, labelOf(name!)));
    await expect(page.locator(`.thumb[data-cell-name="${name}"]`)).toHaveAttribute('data-class', labelOf(name!));
    // Focus moved on (or, on the very last cell, stayed on a cell): never dropped to the page.
    await expect.poll(() => focusedCellName(page)).toBeTruthy();
  }
  expect(openedDetail).toBe(true);
  await expect(page.locator('.thumb:not(.thumb--reviewed)')).toHaveCount(0);
  const classes = await app.classByCellName();
  for (const f of files) expect(classes[f.split('/').pop()!]).toBe(labelOf(f));

  // Sign: back up to Sign case, Enter, the confirmation has the operator as signer, Enter signs.
  await tabTo(page, (el) => el.textContent === 'Sign case', true);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: /^Sign case S-KEY-0016/ });
  await expect(dialog.getByLabel('Signed by')).toBeFocused();
  await expect(dialog.getByLabel('Signed by')).toHaveValue('K. Board');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('signed-badge')).toContainText('K. Board');
  await expect(page.getByTestId('signed-badge')).toBeFocused(); // the Sign button it replaced had focus

  expect(await page.evaluate(() => (window as unknown as { __mouse: number }).__mouse), 'mouse events').toBe(0);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
});
