/**
 * Model bundles for the benchmark: the default bundle as shipped, and random-weight DinoBloom-S/B
 * bundles made by the converter (bench/make_bundles.py, cached under bench/.cache/bundles). The app
 * picks int8 over fp32 for WASM, so each browser measurement gets a one-variant copy of the bundle
 * (same ONNX file, hard-linked; manifest listing only that variant) served under /bench-models/.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Precision } from '../../src/core/manifest.ts';

export interface BenchModel {
  /** row label, e.g. "DinoBloom-S int8" */
  label: string;
  key: string;
  /** bundle folder for onnxruntime-node */
  dir: string;
  precision: Precision;
  /** app query that loads it: '' (built-in default) or ?model=<url> */
  query: (origin: string) => string;
  onnxFile: string;
  onnxBytes: number;
  /** benchmark tuning override for the app (e.g. force WebGPU) */
  override?: import('./app.ts').TuningOverride;
}

export function ensureRandomBundles(repo: string, cacheDir: string, sizes: ('s' | 'b')[]): void {
  const missing = sizes.filter((s) => !existsSync(join(cacheDir, 'bundles', `dinobloom-${s}-random`, 'manifest.json')));
  if (missing.length === 0) return;
  console.log(`making random-weight bundles (${missing.join(', ')}) with the converter…`);
  execFileSync('python3', ['bench/make_bundles.py', '--out', join(cacheDir, 'bundles'), '--sizes', missing.join(',')], { cwd: repo, stdio: 'inherit' });
}

function link(src: string, dst: string): void {
  rmSync(dst, { force: true });
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

/** A one-variant copy of a bundle under `<siteDir>/<id>-<precision>/`. Returns the folder name. */
export function stageVariant(bundleDir: string, precision: Precision, siteDir: string): { folder: string; file: string; bytes: number } {
  const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8')) as {
    id: string;
    name: string;
    encoder: { variants: { precision: string; file: string; bytes: number }[] };
    head?: { file: string };
  };
  const variant = manifest.encoder.variants.find((v) => v.precision === precision);
  if (!variant) throw new Error(`${bundleDir} has no ${precision} variant`);
  const folder = `${manifest.id}-${precision}`;
  const out = join(siteDir, folder);
  mkdirSync(out, { recursive: true });
  link(join(bundleDir, variant.file), join(out, variant.file));
  if (manifest.head) link(join(bundleDir, manifest.head.file), join(out, manifest.head.file));
  const staged = { ...manifest, id: folder, name: `${manifest.name} ${precision}`, encoder: { variants: [variant] } };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(staged, null, 2));
  return { folder, file: variant.file, bytes: variant.bytes };
}
