/**
 * encoder.secondView, TypeScript vs Python: the CLI's runEncoder (src/core/secondView.ts, which the app's
 * worker runs too) and tools/train_default/evaluate_shifts.py's BundleModel.embed (what the model card's
 * figures come from) give the same embeddings and pick the same cells for the second view.
 * Both sides get the same preprocessed inputs (the fixture crops, plain and shifted), so the comparison
 * is of the gate, the turn and the averaging, not of two JPEG decoders. The default bundle is copied
 * with a threshold high enough that some cells are doubtful and some are not.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_ID } from '../../src/config.ts';
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

describe.skipIf(skipReason !== null)('second view: TypeScript (app, CLI) vs Python (model card figures)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'second-view-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same embeddings and the same doubtful cells', async () => {
    cpSync(BUNDLE, join(dir, 'bundle'), { recursive: true });
    const manifestPath = join(dir, 'bundle/manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { encoder: Record<string, unknown> };
    manifest.encoder.secondView = { quarterTurns: 1, belowConfidence: 0.9 };
    writeFileSync(manifestPath, JSON.stringify(manifest));

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

    const D = enc.manifest.embeddingDim;
    expect(py.length).toBe(files.length * D);
    // both branches are exercised: some cells got the second view, some did not
    expect(enc.counts.secondView).toBeGreaterThan(0);
    expect(enc.counts.secondView).toBeLessThan(files.length);
    expect(pyCount).toBe(enc.counts.secondView);
    let maxDiff = 0;
    let changed = 0;
    for (let i = 0; i < files.length; i++) {
      let rowChanged = false;
      for (let j = 0; j < D; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(ts[i * D + j]! - py[i * D + j]!));
        if (Math.abs(ts[i * D + j]! - once[i * D + j]!) > 1e-6) rowChanged = true;
      }
      if (rowChanged) changed++;
    }
    expect(maxDiff).toBeLessThan(1e-3);
    // exactly the cells that got the second view differ from the one-pass embedding
    expect(changed).toBe(enc.counts.secondView);
  }, 60_000);
});
