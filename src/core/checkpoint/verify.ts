/** fp32 vs another variant's embeddings of the same crops (convert.py bundle.compare_embeddings). */
import { CheckpointError } from './errors.ts';

export function compareEmbeddings(ref: Float32Array, out: Float32Array, dim: number): { minCosine: number; meanCosine: number; maxAbsDiff: number } {
  if (ref.length !== out.length || ref.length % dim) throw new Error(`embedding shapes differ (${ref.length} vs ${out.length} values)`);
  for (const [name, a] of [['fp32', ref], ['the other', out]] as const) {
    if (!a.every(Number.isFinite)) throw new CheckpointError('invalid', `verification failed: ${name} encoder produced NaN or Inf on the verification crops; nothing was stored`);
  }
  const n = ref.length / dim;
  let min = Infinity;
  let sum = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      const a = ref[j]!;
      const b = out[j]!;
      dot += a * b;
      na += a * a;
      nb += b * b;
      maxAbs = Math.max(maxAbs, Math.abs(a - b));
    }
    const cos = dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-30);
    min = Math.min(min, cos);
    sum += cos;
  }
  return { minCosine: min, meanCosine: sum / n, maxAbsDiff: maxAbs };
}
