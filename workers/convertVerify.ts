/**
 * The verification step of the checkpoint converter: the shipped PBC crops (public/convert-check)
 * through each built encoder with onnxruntime-web, one session at a time (each released before the
 * next, so a B conversion holds one encoder in WASM memory at a time).
 */
import type * as OrtModule from 'onnxruntime-web';
import type { BuiltFile } from '../src/core/checkpoint/build.ts';
import type { BundleManifest } from '../src/core/manifest.ts';
import { EXTERNAL_DATA_PATH, externalWeights, type OnnxTemplate } from '../src/core/checkpoint/template.ts';
import { checkModelIo } from '../src/core/modelIo.ts';
import { IMAGENET_MEAN, IMAGENET_STD, preprocess } from '../src/core/preprocess.ts';
import { decodeCell } from './decode.ts';
import type { Ort } from './ort.ts';

const VERIFY_BATCH = 2;

export const appBase = (): string => new URL(import.meta.env.BASE_URL, self.location.href).href;

export interface Crops {
  n: number;
  /** [n, 3, size, size] float32, preprocessed like the app does */
  x: Float32Array;
}

/** The verification crops, preprocessed like the app does, as one batch. */
export async function verificationCrops(size: number): Promise<Crops> {
  const base = new URL('convert-check/', appBase());
  const res = await fetch(new URL('index.json', base));
  if (!res.ok) throw new Error(`the verification crops are missing (HTTP ${res.status})`);
  const index = (await res.json()) as { files: { file: string }[] };
  const per = 3 * size * size;
  const x = new Float32Array(index.files.length * per);
  let n = 0;
  for (const f of index.files) {
    const r = await fetch(new URL(f.file, base));
    if (!r.ok) throw new Error(`verification crop ${f.file} is missing (HTTP ${r.status})`);
    const d = await decodeCell(await r.blob());
    if (!d.ok) throw new Error(`verification crop ${f.file}: ${d.message}`);
    preprocess(d.image, { size, mean: IMAGENET_MEAN, std: IMAGENET_STD }, x, n++ * per);
  }
  return { n, x: x.subarray(0, n * per) };
}

export interface EmbedResult {
  embeddings: Float32Array;
  sessionMs: number;
  runMs: number;
}

/**
 * Runs the crops through one built encoder and releases its session. ORT gets the template's graph
 * with the weights as external data, sliced out of the built file: the same graph and the same weight
 * bytes as the file that is stored, without holding the encoder twice (file + parsed protobuf) in
 * WASM memory — for B that is 343 MB less at the conversion's peak.
 */
export async function embedCrops(
  ort: Ort,
  f: BuiltFile,
  tpl: OnnxTemplate,
  name: string,
  crops: Crops,
  io: Pick<BundleManifest, 'input' | 'output' | 'embeddingDim'>,
  ep: 'wasm' | 'webgpu',
): Promise<EmbedResult> {
  const t0 = performance.now();
  let data: Uint8Array | null = new Uint8Array(await externalWeights(tpl, f.blob).arrayBuffer());
  let session: OrtModule.InferenceSession;
  try {
    session = await ort.InferenceSession.create(tpl.graph, {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      externalData: [{ path: EXTERNAL_DATA_PATH, data }],
      // no spin-waiting threads: the conversion shares the cores with the page (and, often, other
      // work); no pre-packed copies of the weight matrices: for B that is ~300 MB less WASM memory,
      // for a few crops' worth of runs
      extra: { session: { intra_op: { allow_spinning: '0' }, disable_prepacking: '1' } },
    });
  } catch (e) {
    throw new Error(`${name} could not be loaded by onnxruntime-web (${ep}): ${(e as Error).message}`);
  }
  // the session copied the weights into WASM memory: free ours now, not at some later GC (B: 343 MB)
  (data.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer }).transfer?.(0);
  data = null;
  const t1 = performance.now();
  try {
    const mismatch = checkModelIo(io, name, session.inputMetadata, session.outputMetadata);
    if (mismatch) throw new Error(mismatch);
    const size = io.input.size;
    const per = 3 * size * size;
    const embeddings = new Float32Array(crops.n * io.embeddingDim);
    // a few crops per run: B's activations for 8 crops at once would add ~200 MB at the peak
    for (let i = 0; i < crops.n; i += VERIFY_BATCH) {
      const n = Math.min(VERIFY_BATCH, crops.n - i);
      const out = await session.run({ [io.input.name]: new ort.Tensor('float32', crops.x.subarray(i * per, (i + n) * per), [n, 3, size, size]) });
      embeddings.set(out[io.output?.name ?? 'embedding']!.data as Float32Array, i * io.embeddingDim);
      for (const v of Object.values(out)) v.dispose();
    }
    return { embeddings, sessionMs: t1 - t0, runMs: performance.now() - t1 };
  } finally {
    await session.release();
  }
}
