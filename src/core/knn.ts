/**
 * k-nearest-neighbour classification (the DinoBloom paper's kNN probe): Euclidean distance on raw
 * embeddings, majority vote among the k nearest training samples; a tie between classes is broken
 * in favour of the class whose member is nearest (equal distances: lower training index first).
 */

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
): { k: number; indices: Int32Array; distances: Float64Array } {
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
      for (let b = 0; b < nb; b++) {
        const qo = (q0 + b) * d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let j = 0;
        for (; j + 3 < d; j += 4) {
          s0 += queryX[qo + j]! * trainX[to + j]!;
          s1 += queryX[qo + j + 1]! * trainX[to + j + 1]!;
          s2 += queryX[qo + j + 2]! * trainX[to + j + 2]!;
          s3 += queryX[qo + j + 3]! * trainX[to + j + 3]!;
        }
        for (; j < d; j++) s0 += queryX[qo + j]! * trainX[to + j]!;
        dots[b] = s0 + s1 + s2 + s3;
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
