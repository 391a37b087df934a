/**
 * src/core/logreg.ts vs scikit-learn on real embeddings: the tiny bundle's embeddings of the 16
 * fixture crops under 16 geometric/photometric jitters each (256 images). Train on the variants
 * of one crop per class, test on the variants of the other crop. Both sides solve
 * StandardScaler + LogisticRegression(C, lbfgs) (multinomial); accuracies must agree within 1 point
 * and the probabilities closely.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyHead } from '../../src/core/head.ts';
import { trainLogisticRegression } from '../../src/core/training/logreg.ts';
import { preprocess, type RasterImage } from '../../src/core/preprocess.ts';
import { decodeImage, listDataset, loadEncoder, runEncoder, writeEmbeddings, type EmbeddingsFile } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'public/models/test-tiny-dinov2');
const FIXTURES = join(ROOT, 'e2e/fixtures/pbc');

function pythonStatus(): string | null {
  const r = spawnSync('python3', ['-c', 'import numpy, sklearn'], { encoding: 'utf8' });
  if (r.error) return 'python3 is not installed';
  if (r.status !== 0) return 'python3 has no numpy/scikit-learn';
  return null;
}
const skipReason = !existsSync(join(BUNDLE, 'manifest.json')) ? 'tiny test bundle missing' : pythonStatus();
if (skipReason) console.warn(`skipping logreg vs scikit-learn comparison: ${skipReason}`);

/** Dihedral transform t in 0..7 (rotation by 90°·(t&3), then a horizontal flip if t&4). */
function dihedral(src: RasterImage, t: number): RasterImage {
  const { width: w, height: h, data } = src;
  const rot = t & 3;
  const flip = (t & 4) !== 0;
  const ow = rot % 2 ? h : w;
  const oh = rot % 2 ? w : h;
  const out = new Uint8Array(ow * oh * 3);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const xx = flip ? ow - 1 - x : x;
      let sx: number;
      let sy: number;
      if (rot === 0) [sx, sy] = [xx, y];
      else if (rot === 1) [sx, sy] = [y, h - 1 - xx];
      else if (rot === 2) [sx, sy] = [w - 1 - xx, h - 1 - y];
      else [sx, sy] = [w - 1 - y, xx];
      const s = (sy * w + sx) * 3;
      const o = (y * ow + x) * 3;
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
    }
  }
  return { width: ow, height: oh, channels: 3, data: out };
}

/** Crop 88% off-centre and change brightness/contrast a little. */
function jitter(src: RasterImage, seed: number): RasterImage {
  const cw = Math.round(src.width * 0.88);
  const ch = Math.round(src.height * 0.88);
  const x0 = (seed * 7) % (src.width - cw + 1);
  const y0 = (seed * 13) % (src.height - ch + 1);
  const gain = 0.92 + 0.02 * (seed % 8);
  const out = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      for (let c = 0; c < 3; c++) {
        const v = src.data[((y + y0) * src.width + x + x0) * 3 + c]!;
        out[(y * cw + x) * 3 + c] = Math.max(0, Math.min(255, Math.round((v - 128) * gain + 128 + 4)));
      }
    }
  }
  return { width: cw, height: ch, channels: 3, data: out };
}

describe.skipIf(skipReason !== null)('logreg.ts vs scikit-learn on real embeddings', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dinobloom-logreg-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('agrees on accuracy within 1 point and on probabilities', async () => {
    const enc = await loadEncoder(BUNDLE, { precision: 'fp32' });
    const ds = listDataset(FIXTURES);
    const D = enc.manifest.embeddingDim;
    const per = 3 * enc.spec.size * enc.spec.size;
    const sets = { train: { X: [] as Float32Array[], y: [] as number[], files: [] as string[] }, test: { X: [] as Float32Array[], y: [] as number[], files: [] as string[] } };
    const seenClass = new Set<number>();
    const batch = new Float32Array(16 * per);
    for (const item of ds.items) {
      const split = seenClass.has(item.label) ? sets.test : sets.train; // first crop of a class → train
      seenClass.add(item.label);
      const img = await decodeImage(item.path);
      const variants: RasterImage[] = [];
      for (let t = 0; t < 8; t++) {
        variants.push(dihedral(img, t));
        variants.push(dihedral(jitter(img, t + 1), t));
      }
      variants.forEach((v, i) => preprocess(v, enc.spec, batch, i * per));
      const emb = await runEncoder(enc, batch, variants.length);
      for (let i = 0; i < variants.length; i++) {
        split.X.push(emb.slice(i * D, (i + 1) * D));
        split.y.push(item.label);
        split.files.push(`${item.file}#${i}`);
      }
    }
    const toFile = (s: typeof sets.train): EmbeddingsFile => {
      const X = new Float32Array(s.X.length * D);
      s.X.forEach((row, i) => X.set(row, i * D));
      return {
        header: {
          format: 'dinobloom-embeddings', version: 1, n: s.y.length, d: D, dtype: 'float32', labelDtype: 'int32',
          classes: ds.classes, files: s.files, bundleId: enc.manifest.id, bundleVersion: enc.manifest.version,
          precision: enc.variant.precision, encoderFile: enc.variant.file, encoderSha256: enc.variant.sha256,
          inputSize: enc.spec.size, data: 'fixtures+jitter', createdAt: new Date().toISOString(),
        },
        embeddings: X,
        labels: Int32Array.from(s.y),
      };
    };
    const train = toFile(sets.train);
    const test = toFile(sets.test);
    expect(train.header.n).toBe(128);
    expect(test.header.n).toBe(128);
    writeEmbeddings(join(tmp, 'train.emb'), train);
    writeEmbeddings(join(tmp, 'test.emb'), test);

    const C = 0.5;
    const py = spawnSync('python3', [join(ROOT, 'tools/fixtures/sklearn_logreg.py'), join(tmp, 'train.emb'), join(tmp, 'test.emb'), '--C', String(C), '--tol', '1e-6'], { encoding: 'utf8', timeout: 60_000 });
    expect(py.status, py.stderr).toBe(0);
    const sk = JSON.parse(py.stdout) as { train_acc: number; test_acc: number; test_proba: number[]; n_iter: number };

    const K = ds.classes.length;
    const res = trainLogisticRegression(train.embeddings, train.header.n, D, train.labels, K, { C, tol: 1e-6, maxIter: 5000 });
    expect(res.converged).toBe(true);
    const head = { classes: ds.classes, inputDim: D, weight: res.weight, bias: res.bias };
    const acc = (f: EmbeddingsFile) => {
      const p = applyHead(head, f.embeddings, f.header.n);
      let ok = 0;
      for (let i = 0; i < f.header.n; i++) {
        let best = 0;
        for (let c = 1; c < K; c++) if (p[i * K + c]! > p[i * K + best]!) best = c;
        if (best === f.labels[i]) ok++;
      }
      return { acc: ok / f.header.n, p };
    };
    const tsTrain = acc(train);
    const tsTest = acc(test);
    console.info(
      `logreg.ts: train ${(100 * tsTrain.acc).toFixed(1)}% test ${(100 * tsTest.acc).toFixed(1)}% (${res.iterations} it) | ` +
        `sklearn: train ${(100 * sk.train_acc).toFixed(1)}% test ${(100 * sk.test_acc).toFixed(1)}% (${sk.n_iter} it)`,
    );
    expect(Math.abs(tsTrain.acc - sk.train_acc)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(tsTest.acc - sk.test_acc)).toBeLessThanOrEqual(0.01);
    let maxDiff = 0;
    for (let i = 0; i < sk.test_proba.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tsTest.p[i]! - sk.test_proba[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
  });
});
