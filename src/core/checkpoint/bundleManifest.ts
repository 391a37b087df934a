/**
 * The manifest of a bundle converted in the browser: the same fields the Python converter writes
 * (tools/dinobloom/convert.py), encoder only (no head: Lab heads / the reference set add one), plus
 * `convertedFrom` (source file, its sha256, layout) and each variant's verification figures.
 */
import type { BundleManifest, EncoderVariant, ManifestBackend, Precision, VariantVerification } from '../manifest.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../preprocess.ts';
import type { CheckpointLayout, LoadedCheckpoint } from './layout.ts';
import type { OfficialCheckpoint } from './official.ts';

export const LICENCE = 'Apache-2.0';
export const CITATION =
  'Koch, Wagner, et al. "DinoBloom: A Foundation Model for Generalizable Cell Embeddings in Hematology." MICCAI 2024. arXiv:2404.05022. Weights: github.com/marrlab/DinoBloom';
export const INPUT_NAME = 'pixel_values';
export const OUTPUT_NAME = 'embedding';

/** Backends per precision, as the Python converter assigns them. */
export const BACKENDS: Record<Precision, ManifestBackend[]> = { fp32: ['wasm', 'webgpu'], int8: ['wasm'], fp16: ['webgpu'] };

export interface ConvertedFrom {
  file: string;
  bytes: number;
  sha256: string;
  layout: CheckpointLayout;
  /** set when the sha256 is a published one (official.ts) */
  official?: string;
  converter: string;
  notes?: string[];
}

export interface BuiltVariant {
  precision: Precision;
  file: string;
  bytes: number;
  sha256: string;
  verification: VariantVerification;
}

export function convertedManifest(ck: LoadedCheckpoint, source: { bytes: number; sha256: string; official?: OfficialCheckpoint }, variants: BuiltVariant[], opts: { id: string; version?: string; converter: string }): BundleManifest {
  const what = ck.size === 'custom' ? 'DINOv2-layout ViT' : `DinoBloom-${ck.size}`;
  const convertedFrom: ConvertedFrom = {
    file: ck.name,
    bytes: source.bytes,
    sha256: source.sha256,
    layout: ck.source,
    ...(source.official ? { official: source.official.label } : {}),
    converter: opts.converter,
    ...(ck.notes.length ? { notes: ck.notes } : {}),
  };
  const encoder: EncoderVariant[] = variants.map((v) => ({
    precision: v.precision,
    file: v.file,
    bytes: v.bytes,
    sha256: v.sha256,
    backends: BACKENDS[v.precision],
    verification: v.verification,
  }));
  return {
    formatVersion: 1,
    id: opts.id,
    name: what,
    version: opts.version ?? '1.0',
    description:
      `${what} cell-image encoder (${ck.variant}, ${(ck.parameters / 1e6).toFixed(1)}M parameters), converted in the browser from ` +
      `${ck.name} (${ck.source}${source.official ? ', official file' : ''}, sha256 ${source.sha256}). Output: CLS embedding after the final LayerNorm. ` +
      'Encoder only: it classifies once a head is added (Lab heads, or the reference set).',
    architecture: {
      family: 'dinov2-vit',
      variant: ck.variant,
      patchSize: ck.config.patchSize,
      depth: ck.config.depth,
      numHeads: ck.config.numHeads,
      parameters: ck.parameters,
      source: ck.source,
    },
    embeddingDim: ck.config.dim,
    input: { name: INPUT_NAME, size: ck.config.imgSize, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], resize: 'whole-bilinear-antialias' },
    output: { name: OUTPUT_NAME },
    encoder: { variants: encoder },
    unidentifiedThreshold: 0.5,
    licence: LICENCE,
    citation: CITATION,
    convertedFrom,
  };
}
