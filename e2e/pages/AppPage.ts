/** Page object for the main screen (tldraw-style): specs speak in user actions, not selectors. */
import { expect, type Download, type Locator, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
export const PBC_DIR = path.join(FIXTURES, 'pbc');

export function pbcFixtures(): string[] {
  return fs.readdirSync(PBC_DIR).filter((f) => f.endsWith('.jpg')).sort().map((f) => path.join(PBC_DIR, f));
}

/** The dataset label is encoded in the fixture file name: `<class>__<original>.jpg`. */
export function labelOf(file: string): string {
  return path.basename(file).split('__')[0]!;
}

export class AppPage {
  readonly requests: string[] = [];
  readonly consoleErrors: string[] = [];

  constructor(readonly page: Page) {
    page.on('request', (r) => this.requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(m.text());
    });
  }

  async open(query = ''): Promise<void> {
    await this.page.goto(`/${query}`);
    await this.waitForModel();
  }

  async waitForModel(): Promise<void> {
    await expect(this.page.getByTestId('model-badge')).toBeVisible({ timeout: 120_000 });
  }

  /** Opens the Models panel unless it is open (a click on its summary would close it again). */
  async openModelsPanel(): Promise<void> {
    const details = this.page.getByTestId('model-manager');
    if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await this.page.getByText('Models', { exact: true }).click();
  }

  get fileInput(): Locator {
    return this.page.getByLabel('Add cell images');
  }

  async addFiles(files: string[] | { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
    await this.fileInput.setInputFiles(files as string[]);
  }

  /**
   * Waits until every given file is a cell (or refused), no cell is waiting and the progress bar is
   * gone. The "Reading N files…" line comes first: right after a pick, before the files are hashed,
   * there is no cell and no progress bar yet, and an idle-looking page then was not idle.
   */
  async waitForIdle(timeout = 170_000): Promise<void> {
    await expect(this.page.getByTestId('adding-files')).toHaveCount(0, { timeout });
    await expect(this.page.getByRole('progressbar', { name: 'Classification progress' })).toHaveCount(0, { timeout });
    await expect(this.page.getByRole('region', { name: /^Waiting/ })).toHaveCount(0, { timeout });
  }

  thumbnails(): Locator {
    return this.page.locator('.gallery__group:not([aria-label^="Waiting"]) .thumb');
  }

  async classByCellName(): Promise<Record<string, string>> {
    return this.thumbnails().evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-cell-name') ?? '', e.getAttribute('data-class') ?? ''])),
    );
  }

  errorRows(): Locator {
    return this.page.getByTestId('error-row');
  }

  /** Cells with a result (classified or Unidentified): every thumbnail outside "Waiting". */
  async resultCount(): Promise<number> {
    return this.thumbnails().count();
  }

  /** Cells with a class (Unidentified excluded), as the differential counts them. */
  async differentialTotal(): Promise<number> {
    return Number(await this.page.getByTestId('diff-total').textContent());
  }

  async backend(): Promise<string> {
    return (await this.page.getByTestId('backend').textContent()) ?? '';
  }

  async threads(): Promise<number> {
    return Number(await this.page.getByTestId('threads').textContent());
  }

  async exportCsv(): Promise<string> {
    return this.readDownload(this.page.getByRole('button', { name: 'Export CSV' }));
  }

  async exportJson(): Promise<string> {
    return this.readDownload(this.page.getByRole('button', { name: 'Export JSON' }));
  }

  private async readDownload(button: Locator): Promise<string> {
    // The export buttons sit in the sticky case bar. With a long page above it (the Models panel open)
    // Playwright's own scroll-into-view was seen to leave the bar "not stable" for minutes (heads.spec,
    // second workstation); scrolled into view first, as a user would, the click lands at once.
    await button.evaluate((el) => el.scrollIntoView({ block: 'end' }));
    const [download]: [Download, void] = await Promise.all([this.page.waitForEvent('download'), button.click()]);
    const file = await download.path();
    return fs.readFileSync(file, 'utf8');
  }

  /** Reads one of the app's IndexedDB object stores in the page (what a reload will find): the value under a
   *  key, every value, or how many there are. A database or store the app has not created yet reads as
   *  undefined / [] / 0. Blobs do not survive the trip out of the page: count them, do not read them. */
  async readStore(database: string, store: string, what: { key: string } | 'all' | 'count'): Promise<unknown> {
    return this.page.evaluate(async ({ database, store, what }) => {
      const open = indexedDB.open(database);
      const db = await new Promise<IDBDatabase>((res, rej) => {
        open.onsuccess = () => res(open.result);
        open.onerror = () => rej(open.error);
      });
      try {
        if (!db.objectStoreNames.contains(store)) return what === 'all' ? [] : what === 'count' ? 0 : undefined;
        const os = db.transaction(store).objectStore(store);
        const req: IDBRequest = what === 'all' ? os.getAll() : what === 'count' ? os.count() : os.get(what.key);
        return await new Promise<unknown>((res, rej) => {
          req.onsuccess = () => res(req.result);
          req.onerror = () => rej(req.error);
        });
      } finally {
        db.close();
      }
    }, { database, store, what });
  }

  /** Deletes one record of an IndexedDB store in the page (e.g. a cell's image bytes, as a browser evicting it would). */
  async deleteFromStore(database: string, store: string, key: string): Promise<void> {
    await this.page.evaluate(async ({ database, store, key }) => {
      const open = indexedDB.open(database);
      const db = await new Promise<IDBDatabase>((res, rej) => {
        open.onsuccess = () => res(open.result);
        open.onerror = () => rej(open.error);
      });
      try {
        const tx = db.transaction(store, 'readwrite');
        tx.objectStore(store).delete(key);
        await new Promise<void>((res, rej) => {
          tx.oncomplete = () => res();
          tx.onerror = () => rej(tx.error);
        });
      } finally {
        db.close();
      }
    }, { database, store, key });
  }

  /** A value of the app's meta store (the remembered model, the notices already answered). */
  async readMeta(key: string): Promise<unknown> {
    return this.readStore('dinobloom-meta', 'meta', { key });
  }

  /** Opens the case bar's "Case details" menu (fields, case files, deleting the case's cells). */
  async openCaseMenu(): Promise<void> {
    const menu = this.page.getByTestId('case-menu');
    if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) await menu.locator(':scope > summary').click();
  }

  /** "Delete this case's cells" (what was "Clear session"): only the open case's cells go. */
  async clearSession(): Promise<void> {
    await this.openCaseMenu();
    await this.page.getByRole('button', { name: "Delete this case's cells" }).click();
    await this.page.getByRole('button', { name: 'Delete the cells' }).click();
  }

  /** Sign case → the confirmation (signer prefilled with the operator, or `signer`) → Sign and lock. */
  async sign(signer?: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign case' }).click();
    const dialog = this.page.getByRole('dialog', { name: /^Sign case/ });
    if (signer !== undefined) await dialog.getByLabel('Signed by').fill(signer);
    await dialog.getByRole('button', { name: 'Sign and lock' }).click();
  }

  async setBackend(backend: 'auto' | 'wasm' | 'webgpu', threads: 'auto' | number = 'auto'): Promise<void> {
    await this.page.getByText('Settings').click();
    await this.page.getByLabel('Backend').selectOption(backend);
    await this.page.getByLabel('WASM threads').selectOption(String(threads));
    await this.page.getByRole('button', { name: 'Apply' }).click();
    await this.waitForModel();
  }

  /** Every request the page made stayed on its own origin (blob:/data: URLs are local by definition). */
  foreignRequests(): string[] {
    const origin = new URL(this.page.url()).origin;
    return this.requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin);
  }
}
