/**
 * encoder.secondView, TypeScript vs Python: the CLI's runEncoder (src/core/secondView.ts, which the app's
 * worker runs too) and tools/train_default/evaluate_shifts.py's BundleModel.embed (what the model card's
 * figures come from) give the same embeddings and pick the same cells for the second view.
 * Both sides get the same preprocessed inputs (the fixture crops, plain and shifted), so the comparison
 * is of the gate, the turn and the averaging, not of two JPEG decoders. The default bundle is copied
 * with a threshold high enough that some cells are doubtful and some are not.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_ID } from '../../src/config.ts';
import type { BundleManifest } from '../../src/core/manifest.ts';
import { preprocess } from '../../src/core/preprocess.ts';
import { decodeImage, loadEncoder, runEncoder, runEncoderOnce } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'public/models', DEFAULT_MODEL_ID);
const FIXTURES = [join(ROOT, 'e2e/fixtures/pbc'), join(ROOT, 'e2e/fixtures/shifted/scale-2'), join(ROOT, 'e2e/fixtures/shifted/stain-hue')];

function pythonStatus(): string | null {
  const r = spawnSync('python3', ['-c', 'import numpy, onnxruntime, PIL'], { encoding: 'utf8' });
  if (r.error) return 'python3 is not installed';
  if (r.status !== 0) return 'python3 has no numpy/onnxruntime/PIL';
  return null;
}
const skipReason = !existsSync(join(BUNDLE, 'manifest.json')) ? 'default bundle missing' : pythonStatus();
if (skipReason) console.warn(`skipping the second-view parity test: ${skipReason}`);

const PY = `
import sys, json
import numpy as np
sys.path.insert(0, sys.argv[1])
from evaluate_shifts import BundleModel
from pathlib import Path
d = Path(sys.argv[2]); n, s = int(sys.argv[3]), int(sys.argv[4])
m = BundleModel(d / "bundle", "int8", 1)
x = np.fromfile(d / "input.f32", dtype=np.float32).reshape(n, 3, s, s)
e = m.embed(x)
e.astype(np.float32).tofile(d / "py.f32")
print(json.dumps({"secondView": int(m.second_view_rows)}))
`;

interface Compared {
  files: number;
  D: number;
  ts: Float32Array;
  py: Float32Array;
  once: Float32Array;
  tsCount: number;
  pyCount: number;
}

/** The same preprocessed fixtures through the CLI's runEncoder and Python's BundleModel.embed. */
async function compare(dir: string): Promise<Compared> {
  const enc = await loadEncoder(join(dir, 'bundle'), { precision: 'int8', threads: 1 });
  const files = FIXTURES.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(d, f)));
  const s = enc.spec.size;
  const per = 3 * s * s;
  const input = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) preprocess(await decodeImage(files[i]!), enc.spec, input, i * per);
  writeFileSync(join(dir, 'input.f32'), input);
  const ts = await runEncoder(enc, input, files.length);
  const once = await runEncoderOnce(enc, input, files.length);
  const r = spawnSync('python3', ['-', join(ROOT, 'tools/train_default'), dir, String(files.length), String(s)], { input: PY, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const py = new Float32Array(readFileSync(join(dir, 'py.f32')).buffer.slice(0));
  const pyCount = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { secondView: number }).secondView;
  await enc.session.release();
  return { files: files.length, D: enc.manifest.embeddingDim, ts, py, once, tsCount: enc.counts.secondView, pyCount };
}

/** Both sides agree, both branches ran, and exactly the cells that got the second view differ from one pass. */
function expectParity(c: Compared): void {
  const { files, D, ts, py, once } = c;
  expect(py.length).toBe(files * D);
  expect(c.tsCount).toBeGreaterThan(0);
  expect(c.tsCount).toBeLessThan(files);
  expect(c.pyCount).toBe(c.tsCount);
  let maxDiff = 0;
  let changed = 0;
  for (let i = 0; i < files; i++) {
    let rowChanged = false;
    for (let j = 0; j < D; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(ts[i * D + j]! - py[i * D + j]!));
      if (Math.abs(ts[i * D + j]! - once[i * D + j]!) > 1e-6) rowChanged = true;
    }
    if (rowChanged) changed++;
  }
  expect(maxDiff).toBeLessThan(1e-3);
  expect(changed).toBe(c.tsCount);
}

describe.skipIf(skipReason !== null)('second view: TypeScript (app, CLI) vs Python (model card figures)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'second-view-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifestPath = join(dir, 'bundle/manifest.json');
  let manifest: BundleManifest;
  beforeAll(() => {
    cpSync(BUNDLE, join(dir, 'bundle'), { recursive: true });
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BundleManifest;
  });

  it('gives the same embeddings and the same doubtful cells', async () => {
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, encoder: { ...manifest.encoder, secondView: { quarterTurns: 1, belowConfidence: 0.9 } } }));
    expectParity(await compare(dir));
  }, 60_000);

  it('a gate file of its own (a bundle whose head was replaced) decides, not the head, on both sides', async () => {
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, encoder: { ...manifest.encoder, secondView: { quarterTurns: 1, belowConfidence: 0.9 } } }));
    const withHead = await compare(dir);
    // the gate: the bundle's head with its logits scaled by 0.8 (less sure of every cell), the head left as it is
    const head = JSON.parse(readFileSync(join(dir, 'bundle', manifest.head!.file), 'utf8')) as { weight: number[][]; bias: number[] };
    const gateText = JSON.stringify({ ...head, weight: head.weight.map((r) => r.map((w) => w * 0.8)), bias: head.bias.map((b) => b * 0.8) });
    writeFileSync(join(dir, 'bundle/gate.json'), gateText);
    const gate = { file: 'gate.json', bytes: Buffer.byteLength(gateText), sha256: createHash('sha256').update(gateText).digest('hex') };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, encoder: { ...manifest.encoder, secondView: { quarterTurns: 1, belowConfidence: 0.9, gate } } }));
    const withGate = await compare(dir);
    expectParity(withGate);
    expect(withGate.tsCount).toBeGreaterThan(withHead.tsCount); // the gate, not the head, was asked
  }, 90_000);
});
