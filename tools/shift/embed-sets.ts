/**
 * npm run shift-embed -- --bundle <dir> [--pbc ../shared/datasets/pbc] [--lisc ../shared/datasets/lisc]
 *                        [--out tools/shift/.cache/<bundle id>] [--shifts a,b,…] [--limit N] [--batch 32]
 *
 * Embeds the development shift set with a bundle's encoder (same preprocessing as the app), one
 * embeddings file per set: pbc-train.emb, pbc-val.emb, lisc.emb and val-<shift>.emb for every
 * synthetic shift of PBC val (tools/shift/transforms.ts). Existing files are kept (delete them to
 * redo); `npm run shift-measure` then reads the folder. Works for any bundle (issue 14's new default
 * included): one command per bundle.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliArgs, decodeImage, embedDataset, intArg, loadEncoder, precisionArg, rel, runMain, writeEmbeddings } from '../cli/lib.ts';
import type { RasterImage } from '../../src/core/preprocess.ts';
import { applyShift, SHIFT_NAMES, type ShiftName } from './transforms.ts';

const USAGE = `usage: npm run shift-embed -- --bundle <dir> [options]

  --bundle <dir>     model bundle whose encoder makes the embeddings
  --pbc <folder>     PBC dataset with train/ and val/ (default ../shared/datasets/pbc)
  --lisc <folder>    LISC dataset (default ../shared/datasets/lisc; skipped when absent)
  --out <folder>     where the .emb files go (default tools/shift/.cache/<bundle id>)
  --shifts <list>    comma-separated synthetic shifts of PBC val (default: all: ${SHIFT_NAMES.join(', ')})
  --precision <p>    encoder variant (default: int8 if present, else fp32 — what the app's WASM backend uses)
  --limit <n>        at most n images per set (quick runs)
  --batch <n>        inference batch (default 32)
  --threads <n>      onnxruntime intra-op threads`;

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      bundle: { type: 'string' },
      pbc: { type: 'string' },
      lisc: { type: 'string' },
      out: { type: 'string' },
      shifts: { type: 'string' },
      precision: { type: 'string' },
      limit: { type: 'string' },
      batch: { type: 'string' },
      threads: { type: 'string' },
    },
    USAGE,
  );
  if (!a.bundle) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const enc = await loadEncoder(a.bundle, { precision: precisionArg(a.precision), threads: intArg(a.threads, 'threads', 0, 0) });
  const pbc = a.pbc ?? '../shared/datasets/pbc';
  const lisc = a.lisc ?? '../shared/datasets/lisc';
  const out = a.out ?? join('tools/shift/.cache', enc.manifest.id);
  mkdirSync(out, { recursive: true });
  const shifts = (a.shifts ? a.shifts.split(',') : SHIFT_NAMES) as ShiftName[];
  for (const s of shifts) if (!SHIFT_NAMES.includes(s)) throw new Error(`unknown shift ${s} (known: ${SHIFT_NAMES.join(', ')})`);
  const limit = a.limit === undefined ? undefined : intArg(a.limit, 'limit', 0);
  const batch = intArg(a.batch, 'batch', 32);

  const sets: { name: string; data: string; decode?: (path: string) => Promise<RasterImage> }[] = [
    { name: 'pbc-train', data: join(pbc, 'train') },
    { name: 'pbc-val', data: join(pbc, 'val') },
    ...(existsSync(lisc) ? [{ name: 'lisc', data: lisc }] : []),
    ...shifts.map((s) => ({
      name: `val-${s}`,
      data: join(pbc, 'val'),
      decode: async (path: string) => decodeImage(await applyShift(s, readFileSync(path), path.slice(path.lastIndexOf('/val/') + 1))),
    })),
  ];
  for (const set of sets) {
    const file = join(out, `${set.name}.emb`);
    if (existsSync(file)) {
      process.stderr.write(`${rel(file)} exists: kept\n`);
      continue;
    }
    const f = await embedDataset(enc, set.data, { batch, limit, label: set.name, decode: set.decode });
    writeEmbeddings(file, f);
    process.stderr.write(`wrote ${rel(file)}: ${f.header.n} × ${f.header.d}\n`);
  }
});
