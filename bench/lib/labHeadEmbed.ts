/**
 * In-app lab-head training, through the real UI: a labelled folder (one sub-folder per class, the
 * benchmark's PBC crops) picked with the Lab heads panel's directory input, then "Train head".
 * Measures what the lab waits for: embedding the cells with the active encoder in the inference
 * worker (cells/s, as the panel shows it) and the training run after it, until the result is shown.
 */
import type { Browser } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchApp } from './app.ts';
import { takeCells, type CellSet } from './cells.ts';

export interface LabHeadEmbedRun {
  model: string;
  cells: number;
  classes: number;
  /** from "Train head" to the training stage (embedding every cell, nothing cached) */
  embedSeconds: number;
  embedCellsPerSec: number;
  /** from the training stage to the result */
  trainSeconds: number;
  /** the same folder trained again: the embeddings come from the cache */
  cachedEmbedSeconds: number;
  balancedAccuracy: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLabHeadEmbedBench(o: { browser: Browser; origin: string; set: CellSet; n: number; log: (s: string) => void }): Promise<LabHeadEmbedRun> {
  const root = mkdtempSync(join(tmpdir(), 'bench-labhead-'));
  const dir = join(root, 'lab');
  const cells = takeCells(o.set, o.n);
  const classes = new Set<string>();
  cells.forEach((c, i) => {
    const cls = c.name.includes('__') ? c.name.split('__')[0]! : 'cell';
    classes.add(cls);
    mkdirSync(join(dir, cls), { recursive: true });
    writeFileSync(join(dir, cls, `${i}_${c.name}`), c.buffer);
  });
  const { app, badge } = await BenchApp.open(o.browser, o.origin);
  const page = app.page;
  try {
    await page.getByText('Models', { exact: true }).click();
    const region = page.getByRole('region', { name: 'Lab heads' });
    const once = async (): Promise<{ embed: number; train: number; bal: number | null }> => {
      await region.getByLabel('Labelled folder for training').setInputFiles(dir);
      const t0 = Date.now();
      await region.getByRole('button', { name: 'Train head' }).click();
      let tTrain = 0;
      for (;;) {
        const job = await page.getByTestId('head-job').textContent({ timeout: 1000 }).catch(() => null);
        if (job?.startsWith('Training') && !tTrain) tTrain = Date.now();
        if (await page.getByTestId('training-result').isVisible()) break;
        const err = await page.getByTestId('head-error').textContent({ timeout: 200 }).catch(() => null);
        if (err) throw new Error(err);
        await sleep(100);
      }
      const t1 = Date.now();
      const text = (await page.getByTestId('kfold-balanced-accuracy').textContent().catch(() => '')) ?? '';
      const m = /balanced accuracy\s*([\d.]+)\s*%/u.exec(text);
      await page.getByRole('button', { name: 'Discard' }).click();
      return { embed: ((tTrain || t1) - t0) / 1000, train: tTrain ? (t1 - tTrain) / 1000 : 0, bal: m ? Number(m[1]) / 100 : null };
    };
    const first = await once();
    const second = await once();
    o.log(`  lab head: ${cells.length} cells embedded in ${first.embed.toFixed(1)} s (${(cells.length / first.embed).toFixed(1)} cells/s), trained in ${first.train.toFixed(1)} s; again from the cache: ${second.embed.toFixed(1)} s`);
    return {
      model: badge,
      cells: cells.length,
      classes: classes.size,
      embedSeconds: first.embed,
      embedCellsPerSec: cells.length / first.embed,
      trainSeconds: first.train,
      cachedEmbedSeconds: second.embed,
      balancedAccuracy: first.bal,
    };
  } finally {
    await app.context.close();
    rmSync(root, { recursive: true, force: true });
  }
}
