/**
 * AUROC of a score separating "positive" (shifted) from "negative" (in-distribution) samples, higher
 * score = more likely positive: the Mann–Whitney U statistic over n⁺·n⁻, ties counted one half
 * (equal to scikit-learn's roc_auc_score). NaN scores are left out.
 */
export function auroc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  const all: { v: number; pos: boolean }[] = [];
  for (let i = 0; i < negatives.length; i++) if (!Number.isNaN(negatives[i]!)) all.push({ v: negatives[i]!, pos: false });
  for (let i = 0; i < positives.length; i++) if (!Number.isNaN(positives[i]!)) all.push({ v: positives[i]!, pos: true });
  all.sort((a, b) => a.v - b.v);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const midRank = (i + 1 + j) / 2; // ranks i+1..j share their mean
    for (let t = i; t < j; t++) if (all[t]!.pos) {
      rankSumPos += midRank;
      nPos++;
    }
    i = j;
  }
  const nNeg = all.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
