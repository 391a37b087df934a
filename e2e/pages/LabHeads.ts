/** Page object for Models → Lab heads (tldraw-style: specs speak in user actions). */
import { expect, type Locator, type Page } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { labelOf, pbcFixtures } from './AppPage.ts';

export class LabHeads {
  constructor(readonly page: Page) {}

  get region(): Locator {
    return this.page.getByRole('region', { name: 'Lab heads' });
  }

  async open(): Promise<void> {
    const summary = this.page.getByText('Models', { exact: true });
    if (!(await this.region.isVisible())) await summary.click();
    await expect(this.region).toBeVisible();
  }

  async pickFolder(dir: string): Promise<void> {
    await this.region.getByLabel('Labelled folder for training').setInputFiles(dir);
  }

  async train(): Promise<void> {
    await this.region.getByRole('button', { name: 'Train head' }).click();
    await expect(this.page.getByTestId('training-result')).toBeVisible({ timeout: 170_000 });
  }

  /** The k-fold balanced accuracy the result states, as a fraction. */
  async balancedAccuracy(): Promise<number> {
    const text = (await this.page.getByTestId('kfold-balanced-accuracy').textContent()) ?? '';
    const m = /balanced accuracy\s*([\d.]+)\s*%/u.exec(text);
    expect(m, `result states a balanced accuracy: "${text}"`).not.toBeNull();
    return Number(m![1]) / 100;
  }

  /** "Export head bundle" (without the encoder) or "Export with encoder" for the head named `name`; the .zip's path. */
  async exportHead(name: string, withEncoder: boolean): Promise<string> {
    const item = this.region.getByTestId('head-list').getByRole('listitem').filter({ hasText: name });
    const button = item.getByRole('button', { name: withEncoder ? 'Export with encoder' : 'Export head bundle' });
    const [download] = await Promise.all([this.page.waitForEvent('download'), button.click()]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'head-zip-')), download.suggestedFilename());
    await download.saveAs(file);
    return file;
  }

  async useThisHead(): Promise<void> {
    await this.page.getByRole('button', { name: 'Use this head' }).click();
    await expect(this.page.getByTestId('head-message')).toContainText('New cells are now classified by');
  }
}

/**
 * A labelled folder made from the committed PBC fixture crops (Acevedo et al. 2020, CC BY 4.0): for
 * `classes`, each crop plus rotated/flipped copies (distinct files, so content de-duplication keeps
 * them), `perClass` images per class, under <tmp>/<name>/<class>/.
 */
export async function labelledFixtureFolder(name: string, classes: string[], perClass = 6): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'labelled-'));
  const dir = path.join(root, name);
  const ops: ((s: Sharp) => Sharp)[] = [
    (s) => s,
    (s) => s.rotate(90),
    (s) => s.rotate(180),
    (s) => s.rotate(270),
    (s) => s.flop(),
    (s) => s.flip(),
    (s) => s.flop().rotate(90),
    (s) => s.flip().rotate(90),
  ];
  for (const cls of classes) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    const crops = pbcFixtures().filter((f) => labelOf(f) === cls);
    let n = 0;
    for (let k = 0; n < perClass; k++) {
      const src = crops[k % crops.length]!;
      const op = ops[Math.floor(k / crops.length) % ops.length]!;
      await op(sharp(src)).jpeg({ quality: 92 }).toFile(path.join(dir, cls, `${path.basename(src, '.jpg')}_${k}.jpg`));
      n++;
    }
  }
  return dir;
}
