/**
 * npm run embed -- --bundle <dir> --data <folder> --out <file.emb> [--precision int8|fp32|fp16]
 *                  [--batch 16] [--limit N] [--threads N]
 *
 * Embeds every image of a labelled folder (<folder>/<class>/<image>, or flat <class>__<name>.jpg
 * files) with the bundle's encoder, using the same preprocessing as the app
 * (src/core/preprocess.ts), and writes an embeddings file (format: see tools/cli/lib.ts; Python
 * reader: tools/fixtures/read_embeddings.py).
 */
import { cliArgs, embedDataset, intArg, loadEncoder, precisionArg, rel, runMain, writeEmbeddings } from './lib.ts';

const USAGE = `usage: npm run embed -- --bundle <dir> --data <folder> --out <file.emb> [options]

  --bundle <dir>       model bundle (manifest.json + encoder files)
  --data <folder>      labelled images: <folder>/<class>/<image> or flat <class>__<name>.<ext>
  --out <file>         embeddings file to write
  --precision <p>      encoder variant: int8 | fp32 | fp16 (default: int8 if present, else fp32)
  --batch <n>          images per inference batch (default 16)
  --limit <n>          at most n images in total, round-robin over classes (quick runs)
  --threads <n>        onnxruntime intra-op threads (default: onnxruntime's choice)`;

runMain(async () => {
  const a = cliArgs(
    process.argv.slice(2),
    {
      bundle: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      precision: { type: 'string' },
      batch: { type: 'string' },
      limit: { type: 'string' },
      threads: { type: 'string' },
    },
    USAGE,
  );
  if (!a.bundle || !a.data || !a.out) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const enc = await loadEncoder(a.bundle, { precision: precisionArg(a.precision), threads: intArg(a.threads, 'threads', 0, 0) });
  process.stderr.write(`bundle ${enc.manifest.id} ${enc.manifest.version}: ${enc.variant.file} (${enc.variant.precision}), input ${enc.spec.size}px, D=${enc.manifest.embeddingDim}\n`);
  const t0 = performance.now();
  const f = await embedDataset(enc, a.data, {
    batch: intArg(a.batch, 'batch', 16),
    limit: a.limit === undefined ? undefined : intArg(a.limit, 'limit', 0),
  });
  writeEmbeddings(a.out, f);
  const s = (performance.now() - t0) / 1000;
  const perClass = f.header.classes.map((c, i) => `${c} ${f.labels.filter((l) => l === i).length}`).join(', ');
  process.stderr.write(`wrote ${rel(a.out)}: ${f.header.n} × ${f.header.d} in ${s.toFixed(1)} s (${(f.header.n / s).toFixed(1)} cells/s)\n  ${perClass}\n`);
});
