/**
 * Classification metrics with scikit-learn's definitions:
 *   accuracy            = correct / n
 *   balanced accuracy   = mean over classes present in y_true of recall
 *   precision_c         = TP / predicted as c (0 when nothing was predicted as c)
 *   recall_c            = TP / support (0 when the class is absent)
 *   f1_c                = 2 P R / (P + R) (0 when P + R = 0)
 *   weighted F1         = Σ support_c · f1_c / Σ support_c
 * A prediction outside [0, C) (e.g. -1 for "Unidentified"/abstained) counts as wrong and is
 * attributed to no class's precision.
 */

export interface ClassMetrics {
  cls: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  classes: string[];
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  weightedF1: number;
  macroF1: number;
  /** predictions outside [0, C) */
  abstained: number;
  perClass: ClassMetrics[];
  /** rows = true class, columns = predicted class */
  confusion: number[][];
}

function checkLengths(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) throw new RangeError(`${yTrue.length} true labels but ${yPred.length} predictions`);
}

/** C × C counts, rows = true class, columns = predicted class (predictions outside [0, C) are skipped). */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkLengths(yTrue, yPred);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) throw new RangeError(`true label ${t} at ${i} is outside [0, ${numClasses})`);
    if (Number.isInteger(p) && p >= 0 && p < numClasses) m[t]![p]!++;
  }
  return m;
}

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLengths(yTrue, yPred);
  if (yTrue.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  return classificationReport(yTrue, yPred, Array.from({ length: numClasses }, (_, i) => String(i))).balancedAccuracy;
}

export function weightedF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  return classificationReport(yTrue, yPred, Array.from({ length: numClasses }, (_, i) => String(i))).weightedF1;
}

export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: string[]): ClassificationReport {
  const C = classes.length;
  const confusion = confusionMatrix(yTrue, yPred, C);
  const n = yTrue.length;
  let correct = 0;
  let abstained = 0;
  // support counts every sample of a class, including abstentions (they are misses)
  const supports = new Array<number>(C).fill(0);
  for (let i = 0; i < n; i++) {
    const p = yPred[i]!;
    supports[yTrue[i]!]!++;
    if (!(Number.isInteger(p) && p >= 0 && p < C)) abstained++;
    else if (p === yTrue[i]) correct++;
  }
  const perClass: ClassMetrics[] = [];
  let recallSum = 0;
  let present = 0;
  let wf1 = 0;
  let f1Sum = 0;
  for (let c = 0; c < C; c++) {
    const tp = confusion[c]![c]!;
    const support = supports[c]!;
    let predicted = 0;
    for (let r = 0; r < C; r++) predicted += confusion[r]![c]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    if (support > 0) {
      recallSum += recall;
      present++;
    }
    wf1 += support * f1;
    f1Sum += f1;
    perClass.push({ cls: classes[c]!, precision, recall, f1, support });
  }
  return {
    classes: classes.slice(),
    n,
    accuracy: n > 0 ? correct / n : 0,
    balancedAccuracy: present > 0 ? recallSum / present : 0,
    weightedF1: n > 0 ? wf1 / n : 0,
    macroF1: C > 0 ? f1Sum / C : 0,
    abstained,
    perClass,
    confusion,
  };
}

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

function table(header: string[], rows: string[][], markdown: boolean, rightFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => {
    const parts = cells.map((c, i) => pad(c, widths[i]!, i >= rightFrom));
    return markdown ? `| ${parts.join(' | ')} |` : parts.join('  ');
  };
  const sep = markdown
    ? `|${widths.map((w, i) => (i >= rightFrom ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`
    : widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), sep, ...rows.map(line)].join('\n');
}

const pct = (v: number) => (100 * v).toFixed(1);

/**
 * Human-readable report: summary line, per-class precision/recall/F1/support and the confusion
 * matrix (rows = true, columns = predicted). `markdown: true` renders GitHub tables.
 */
export function formatReport(report: ClassificationReport, opts: { markdown?: boolean; title?: string } = {}): string {
  const md = opts.markdown ?? false;
  const out: string[] = [];
  if (opts.title) out.push(md ? `### ${opts.title}` : opts.title);
  out.push(
    `n = ${report.n}   accuracy ${pct(report.accuracy)}%   balanced accuracy ${pct(report.balancedAccuracy)}%   ` +
      `weighted F1 ${pct(report.weightedF1)}%   macro F1 ${pct(report.macroF1)}%` +
      (report.abstained > 0 ? `   abstained ${report.abstained}` : ''),
  );
  out.push('');
  out.push(
    table(
      ['class', 'precision', 'recall', 'F1', 'support'],
      report.perClass.map((c) => [c.cls, pct(c.precision), pct(c.recall), pct(c.f1), String(c.support)]),
      md,
    ),
  );
  out.push('');
  out.push(md ? 'Confusion matrix (rows = true class, columns = predicted):' : 'confusion (rows = true, columns = predicted)');
  out.push('');
  const abbrev = report.classes.map((c) => (c.length > 8 ? c.slice(0, 8) : c));
  out.push(
    table(
      ['true \\ pred', ...abbrev],
      report.confusion.map((row, i) => [report.classes[i]!, ...row.map(String)]),
      md,
    ),
  );
  return out.join('\n');
}
