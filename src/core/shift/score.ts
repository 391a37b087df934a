/**
 * Scoring cells against a bundle's reference statistics: what the inference worker calls once per
 * batch. A cell whose embedding holds NaN or infinity gets an error (reason "embedding-invalid"),
 * never a score: a broken image or model must not pass as "in distribution".
 */
import { modelFromStats, scoreWithModel, type FittedModel, type ShiftScoreKind, type ShiftStats } from './stats.ts';

export type ShiftAssessment =
  | { ok: true; score: number; flagged: boolean }
  | { ok: false; reason: 'embedding-invalid'; message: string };

export const INVALID_EMBEDDING_MESSAGE =
  'The model produced an invalid embedding (NaN or infinity) for this image: it cannot be classified or checked. The image may be broken, or the model file damaged.';

export interface ShiftScorer {
  readonly kind: ShiftScoreKind;
  readonly threshold: number;
  readonly expectedFlagRate: number;
  readonly embeddingDim: number;
  /** n scores for n embeddings (n × d, row-major); NaN where an embedding is not finite */
  score(embeddings: Float32Array, n: number): Float64Array;
  /** score + flag per cell, or the error for an invalid embedding */
  assess(embeddings: Float32Array, n: number): ShiftAssessment[];
}

/** True when all d values of row i are finite (the worker checks this even for models without statistics). */
export function embeddingIsFinite(embeddings: Float32Array, i: number, d: number): boolean {
  for (let j = i * d; j < (i + 1) * d; j++) if (!Number.isFinite(embeddings[j]!)) return false;
  return true;
}

export function createShiftScorer(stats: ShiftStats): ShiftScorer {
  const model: FittedModel = modelFromStats(stats);
  const d = stats.embeddingDim;
  const score = (embeddings: Float32Array, n: number): Float64Array => {
    if (embeddings.length < n * d) throw new RangeError(`embeddings too short: ${embeddings.length} < ${n}×${d}`);
    return scoreWithModel(model, stats.score, embeddings, Int32Array.from({ length: n }, (_, i) => i));
  };
  return {
    kind: stats.score,
    threshold: stats.threshold,
    expectedFlagRate: stats.expectedFlagRate,
    embeddingDim: d,
    score,
    assess(embeddings, n) {
      return Array.from(score(embeddings, n), (s): ShiftAssessment =>
        Number.isFinite(s) ? { ok: true, score: s, flagged: s > stats.threshold } : { ok: false, reason: 'embedding-invalid', message: INVALID_EMBEDDING_MESSAGE },
      );
    },
  };
}
