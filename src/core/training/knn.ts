/**
 * k-nearest-neighbour classification (the DinoBloom paper's kNN probe): Euclidean distance on raw
 * embeddings, majority vote among the k nearest training samples; a tie between classes is broken
 * in favour of the class whose member is nearest (equal distances: lower training index first).
 *
 * A kNN "head" (KnnHead) keeps the training embeddings and labels; its probabilities are the vote
 * shares among the k neighbours (scikit-learn's KNeighborsClassifier.predict_proba, uniform weights).
 */
import { drain, type Steps } from './steps.ts';

/** Squared norms of the n rows of X (n × d). */
function rowNorms(X: Float32Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const v = X[o + j]!;
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}

const QUERY_BLOCK = 8;

/**
 * Indices of the k nearest training rows for each query (nQuery × k, nearest first; equal
 * distances: lower training index first) and their squared distances. Queries are processed in
 * blocks so each training row is read once per block (memory bound otherwise).
 */
export function knnNeighbors(
  trainX: Float32Array,
  nTrain: number,
  d: number,
  queryX: Float32Array,
  nQuery: number,
  k: number,
): KnnNeighbours {
  return drain(knnNeighborsSteps(trainX, nTrain, d, queryX, nQuery, k));
}

export interface KnnNeighbours {
  k: number;
  /** nQuery × k training indices, nearest first */
  indices: Int32Array;
  /** their squared Euclidean distances */
  distances: Float64Array;
}

/** knnNeighbors as a step generator: yields the number of queries done after every block. */
export function* knnNeighborsSteps(
  trainX: Float32Array,
  nTrain: number,
  d: number,
  queryX: Float32Array,
  nQuery: number,
  k: number,
): Steps<{ done: number; total: number }, KnnNeighbours> {
  if (nTrain < 1) throw new RangeError('kNN needs at least one training sample');
  if (trainX.length < nTrain * d || queryX.length < nQuery * d) throw new RangeError('kNN: array shorter than n × d');
  const kk = Math.max(1, Math.min(Math.floor(k), nTrain));
  const trainNorm = rowNorms(trainX, nTrain, d);
  const queryNorm = rowNorms(queryX, nQuery, d);
  const indices = new Int32Array(nQuery * kk);
  const distances = new Float64Array(nQuery * kk).fill(Infinity);
  const counts = new Int32Array(QUERY_BLOCK);
  const dots = new Float64Array(QUERY_BLOCK);

  for (let q0 = 0; q0 < nQuery; q0 += QUERY_BLOCK) {
    const nb = Math.min(QUERY_BLOCK, nQuery - q0);
    counts.fill(0);
    for (let t = 0; t < nTrain; t++) {
      const to = t * d;
      // four queries at a time: each training value is loaded once for four dot products
      let b = 0;
      for (; b + 3 < nb; b += 4) {
        const o0 = (q0 + b) * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < d; j++) {
          const x = trainX[to + j]!;
          s0 += queryX[o0 + j]! * x;
          s1 += queryX[o1 + j]! * x;
          s2 += queryX[o2 + j]! * x;
          s3 += queryX[o3 + j]! * x;
        }
        dots[b] = s0;
        dots[b + 1] = s1;
        dots[b + 2] = s2;
        dots[b + 3] = s3;
      }
      for (; b < nb; b++) {
        const qo = (q0 + b) * d;
        let s0 = 0;
        for (let j = 0; j < d; j++) s0 += queryX[qo + j]! * trainX[to + j]!;
        dots[b] = s0;
      }
      for (let b = 0; b < nb; b++) {
        const q = q0 + b;
        let dist = queryNorm[q]! + trainNorm[t]! - 2 * dots[b]!;
        if (dist < 0) dist = 0;
        const base = q * kk;
        const count = counts[b]!;
        if (count === kk && !(dist < distances[base + kk - 1]!)) continue;
        // insertion into the sorted list (strict > keeps the earlier index first on ties)
        let pos = count < kk ? count : kk - 1;
        while (pos > 0 && distances[base + pos - 1]! > dist) {
          distances[base + pos] = distances[base + pos - 1]!;
          indices[base + pos] = indices[base + pos - 1]!;
          pos--;
        }
        distances[base + pos] = dist;
        indices[base + pos] = t;
        if (count < kk) counts[b] = count + 1;
      }
    }
    yield { done: q0 + nb, total: nQuery };
  }
  return { k: kk, indices, distances };
}

/**
 * Majority vote over the first k of precomputed neighbours (k <= neighbours.k); a tie between
 * classes goes to the class of the nearest neighbour among the tied ones.
 */
export function knnVote(
  neighbours: { k: number; indices: Int32Array },
  trainY: Int32Array,
  nQuery: number,
  k: number,
  numClasses: number,
): Int32Array {
  const kk = Math.max(1, Math.min(Math.floor(k), neighbours.k));
  const votes = new Int32Array(numClasses);
  const out = new Int32Array(nQuery);
  for (let q = 0; q < nQuery; q++) {
    const base = q * neighbours.k;
    votes.fill(0);
    let maxVotes = 0;
    for (let r = 0; r < kk; r++) {
      const c = trainY[neighbours.indices[base + r]!]!;
      if (c < 0 || c >= numClasses) throw new RangeError(`training label ${c} is outside [0, ${numClasses})`);
      const v = ++votes[c]!;
      if (v > maxVotes) maxVotes = v;
    }
    for (let r = 0; r < kk; r++) {
      const c = trainY[neighbours.indices[base + r]!]!;
      if (votes[c] === maxVotes) {
        out[q] = c;
        break;
      }
    }
  }
  return out;
}

/**
 * Predict labels for nQuery rows of queryX (nQuery × d) from nTrain labelled rows of trainX.
 * Returns an Int32Array of class indices in [0, numClasses).
 */
export function knnPredict(
  trainX: Float32Array,
  trainY: Int32Array,
  nTrain: number,
  d: number,
  queryX: Float32Array,
  nQuery: number,
  k: number,
  numClasses: number,
): Int32Array {
  if (trainY.length < nTrain) throw new RangeError('kNN: fewer labels than training samples');
  const nb = knnNeighbors(trainX, nTrain, d, queryX, nQuery, k);
  return knnVote(nb, trainY, nQuery, k, numClasses);
}

/**
 * Vote shares among the first k neighbours: nQuery × numClasses, each row sums to 1 (what
 * KNeighborsClassifier.predict_proba gives with uniform weights).
 */
export function knnVoteShares(neighbours: { k: number; indices: Int32Array }, trainY: Int32Array, nQuery: number, k: number, numClasses: number): Float32Array {
  const kk = Math.max(1, Math.min(Math.floor(k), neighbours.k));
  const out = new Float32Array(nQuery * numClasses);
  const votes = new Int32Array(numClasses);
  for (let q = 0; q < nQuery; q++) {
    const base = q * neighbours.k;
    votes.fill(0);
    for (let r = 0; r < kk; r++) votes[trainY[neighbours.indices[base + r]!]!]!++;
    for (let c = 0; c < numClasses; c++) out[q * numClasses + c] = votes[c]! / kk;
  }
  return out;
}

/** A kNN classifier usable as a head: the training embeddings and labels, and its k. */
export interface KnnHead {
  kind: 'knn';
  classes: string[];
  inputDim: number;
  k: number;
  /** n × inputDim, row-major */
  embeddings: Float32Array;
  labels: Int32Array;
}

export function createKnnHead(classes: string[], embeddings: Float32Array, labels: Int32Array, inputDim: number, k: number): KnnHead {
  const n = labels.length;
  if (embeddings.length !== n * inputDim) throw new RangeError(`kNN head: ${embeddings.length} values for ${n} × ${inputDim}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`kNN head: k must be a positive integer, got ${k}`);
  for (let i = 0; i < n; i++) {
    if (labels[i]! < 0 || labels[i]! >= classes.length) throw new RangeError(`kNN head: label ${labels[i]} at ${i} is outside [0, ${classes.length})`);
  }
  return { kind: 'knn', classes: classes.slice(), inputDim, k, embeddings, labels };
}

/** n × C vote shares for n query embeddings (n × inputDim). */
export function knnPredictProba(head: KnnHead, queries: Float32Array, n: number): Float32Array {
  const nTrain = head.labels.length;
  const nb = knnNeighbors(head.embeddings, nTrain, head.inputDim, queries, n, head.k);
  return knnVoteShares(nb, head.labels, n, head.k, head.classes.length);
}
