/** Page object for the Models panel's checkpoint conversion and bundle export (e2e/convert.spec.ts). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { AppPage } from './AppPage.ts';

export const CHECKPOINT_LABEL = 'DinoBloom checkpoint (.pth, .bin, .safetensors)';
const REPO = path.resolve(import.meta.dirname, '../..');

export interface E2eCheckpoints {
  dir: string;
  size: 'S' | 'B';
  files: Record<'zenodo-teacher' | 'hf-flat' | 'timm-safetensors', string>;
  evil: string;
  reference?: { sha256: Record<string, string>; crops: string[]; inputs: string; embeddings: Record<'fp32' | 'int8', number[][]> };
}

/** Random-weight checkpoints in the three published layouts + the Python converter's outputs, made now. */
export function makeCheckpoints(size: 'S' | 'B', opts: { reference?: boolean } = {}): E2eCheckpoints {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dinobloom-${size}-`));
  execFileSync('python3', [path.join(REPO, 'tools/fixtures/make_e2e_checkpoints.py'), '--out', dir, '--size', size, ...(opts.reference === false ? ['--no-reference'] : [])], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { dir, ...(JSON.parse(fs.readFileSync(path.join(dir, 'info.json'), 'utf8')) as Omit<E2eCheckpoints, 'dir'>) };
}

export class ConvertPanel {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await new AppPage(this.page).openModelsPanel();
  }

  get input(): Locator {
    return this.page.getByLabel(CHECKPOINT_LABEL);
  }

  async drop(file: string): Promise<void> {
    await this.open();
    await this.input.setInputFiles(file);
  }

  /** Waits for the conversion to end; returns its message (success) or throws with the error. */
  async finished(timeout = 600_000): Promise<string> {
    const ok = this.page.getByTestId('convert-message');
    const bad = this.page.getByTestId('convert-error');
    await expect(ok.or(bad)).toBeVisible({ timeout });
    if (await bad.isVisible()) throw new Error(`conversion failed: ${await bad.textContent()}`);
    return (await ok.textContent()) ?? '';
  }

  error(): Locator {
    return this.page.getByTestId('convert-error');
  }

  bundleItem(name: string): Locator {
    return this.page.getByTestId('imported-models').getByRole('listitem').filter({ has: this.page.getByText(name, { exact: true }) });
  }

  /** Clicks "Export bundle" on the list item named `name`; returns the zip's entries (folder stripped). */
  async exportBundle(name: string, index = 0): Promise<{ fileName: string; entries: Record<string, Uint8Array>; zip: Buffer }> {
    await this.open();
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 300_000 }), this.bundleItem(name).nth(index).getByRole('button', { name: 'Export bundle' }).click()]);
    const zip = fs.readFileSync(await download.path());
    const raw = unzipSync(new Uint8Array(zip));
    const entries: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(raw)) entries[k.split('/').pop()!] = v;
    return { fileName: download.suggestedFilename(), entries, zip };
  }
}
