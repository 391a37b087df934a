/**
 * Random but structured embeddings for the training benchmark (deterministic from the seed): K
 * classes, each a mixture of 4 sub-types whose centres lie in a 96-dimensional subspace of the
 * d-dimensional space; cells spread around them (unit noise in the subspace, 0.3 in all d
 * dimensions), so that classes overlap partly, as a lab's own cells do. Used by the Node and the
 * browser side alike, so both train on the same numbers. (Its k-fold accuracy and chosen C are in
 * the report; real embeddings may choose a larger C, which costs more iterations.)
 */
import type { TrainProgress, TrainResult } from '../../src/core/training/engine.ts';
import { mulberry32 } from '../../src/core/training/folds.ts';

/** spread of the sub-type centres (unit noise around each): classes overlap partly */
const SPREAD = 0.5;

export interface TrainingSpec {
  n: number;
  d: number;
  classes: number;
  seed: number;
}

export function structuredEmbeddings(spec: TrainingSpec): { classes: string[]; embeddings: Float32Array; labels: Int32Array } {
  const { n, d, classes: K, seed } = spec;
  const r = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const S = 96;
  const basis = Array.from({ length: S }, () => Float64Array.from({ length: d }, () => g() / Math.sqrt(S)));
  // each class is a mixture of SUB sub-types (as ig = MMY/MY/PMY, neutrophil = band/segmented)
  const SUB = 4;
  const centres = Array.from({ length: K * SUB }, () => Float64Array.from({ length: S }, () => g() * SPREAD));
  const embeddings = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const z = new Float64Array(S);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    labels[i] = c;
    const centre = centres[c * SUB + Math.floor(r() * SUB)]!;
    for (let q = 0; q < S; q++) z[q] = centre[q]! + g();
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let q = 0; q < S; q++) s += z[q]! * basis[q]![j]!;
      embeddings[i * d + j] = s + 0.3 * g();
    }
  }
  return { classes: Array.from({ length: K }, (_, c) => `class ${c + 1}`), embeddings, labels };
}

export interface TrainingRun {
  where: 'browser' | 'node';
  data: string;
  n: number;
  d: number;
  classes: number;
  /** wall seconds from train() to its result */
  seconds: number;
  /** Node only: CPU seconds of the process meanwhile (what the run would take on an idle core) */
  cpuSeconds?: number;
  evaluationSeconds: number;
  finalSeconds: number;
  C: number;
  cPerFold: number[];
  cEvaluated: number;
  balancedAccuracy: number | null;
  knnBalancedAccuracy: (number | null)[];
  temperature: number;
  /** seconds at which each stage started */
  stages: { stage: string; atSeconds: number }[];
}

/** What the worker and Node report for one run (plain data). */
export function summarise(where: TrainingRun['where'], data: string, r: TrainResult, seconds: number, stages: TrainingRun['stages']): TrainingRun {
  return {
    where,
    data,
    n: r.n,
    d: r.inputDim,
    classes: r.classes.length,
    seconds,
    evaluationSeconds: r.seconds.evaluation,
    finalSeconds: r.seconds.final,
    C: r.linear.C,
    cPerFold: r.evaluation?.linear.cPerFold ?? [],
    cEvaluated: r.linear.selection?.evaluated.length ?? 0,
    balancedAccuracy: r.evaluation?.linear.report.balancedAccuracy ?? null,
    knnBalancedAccuracy: r.evaluation?.knn.map((k) => k.report.balancedAccuracy) ?? [],
    temperature: r.temperature,
    stages,
  };
}

export function stageRecorder(t0: number): { onProgress: (p: TrainProgress) => void; stages: TrainingRun['stages'] } {
  const stages: TrainingRun['stages'] = [];
  return {
    stages,
    onProgress: (p) => {
      if (stages[stages.length - 1]?.stage !== p.stage) stages.push({ stage: p.stage, atSeconds: (performance.now() - t0) / 1000 });
    },
  };
}
