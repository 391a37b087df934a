/**
 * Per case and per source folder: is the share of flagged cells more than the model's own kind of
 * cells would give? A one-sided exact binomial test against the expected flag rate of the model's
 * reference statistics, with two guards so that it does not cry wolf:
 *   - no verdict below `minCells` scored cells (a case of 3 cells says so instead of guessing);
 *   - "shifted" also needs the flagged share to be at least `minShare` (default: 5 %, or 3× the
 *     expected rate if that is more): with hundreds of cells a test alone would fire on a flag rate
 *     of 1.5 % against an expected 1 % — a real but harmless difference (new cells of the model's own
 *     kind are flagged a little more often than held-in ones).
 * Folders are tested at α / (number of folders tested) (Bonferroni), the case as a whole at α.
 */
import { binomialUpperTail } from './binomial.ts';

export interface BatchTestOptions {
  /** significance level of the one-sided test (default 0.001) */
  alpha?: number;
  /** fewest scored cells for a verdict (default 20) */
  minCells?: number;
  /** smallest flagged share called "shifted" (default max(0.05, 3 × expected)) */
  minShare?: number;
}

/** The per-cell label on thumbnails and in the detail view (issue 13). */
export const SHIFT_FLAG_LABEL = 'Unlike the training data';

export const DEFAULT_ALPHA = 0.001;
export const DEFAULT_MIN_CELLS = 20;

export type BatchVerdictKind = 'shifted' | 'in-distribution' | 'too-few';

export interface BatchVerdict {
  verdict: BatchVerdictKind;
  /** cells with a shift score */
  n: number;
  flagged: number;
  /** flagged / n (NaN when n = 0) */
  share: number;
  expectedRate: number;
  /** P(at least `flagged` of n | expected rate); null without a verdict */
  pValue: number | null;
  /** the level the p-value was compared with (α, or α / folders) */
  alpha: number;
  /** one sentence saying what was found and why */
  reason: string;
}

const pct = (x: number): string => formatPercent(x);

/** "87 %", "1.3 %", "0.4 %": whole numbers from 10 % up, one decimal below (never "0 %" for a non-zero share). */
export function formatPercent(x: number): string {
  const v = 100 * x;
  if (!Number.isFinite(v)) return '– %';
  if (v >= 10 || v === 0) return `${Math.round(v)} %`;
  return `${(Math.round(v * 10) / 10).toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
}

export function minShareFor(expectedRate: number, opts: BatchTestOptions = {}): number {
  return opts.minShare ?? Math.max(0.05, 3 * expectedRate);
}

/** The test for one batch of n scored cells of which `flagged` are over the threshold. */
export function testBatch(flagged: number, n: number, expectedRate: number, opts: BatchTestOptions & { alphaOverride?: number } = {}): BatchVerdict {
  const alpha = opts.alphaOverride ?? opts.alpha ?? DEFAULT_ALPHA;
  const minCells = opts.minCells ?? DEFAULT_MIN_CELLS;
  const share = n > 0 ? flagged / n : NaN;
  const base = { n, flagged, share, expectedRate, alpha };
  if (n < minCells) {
    const what = n === 0 ? 'no cells have a shift score yet' : `only ${n} cell${n === 1 ? ' has' : 's have'} a shift score`;
    return {
      ...base,
      verdict: 'too-few',
      pValue: null,
      reason: `No batch verdict: ${what}; the share of flagged cells means little below ${minCells} cells (each flagged cell is still marked).`,
    };
  }
  // expected rate 0 (degenerate statistics): any flag is "unexpected"; guard the test's domain
  const p = Math.min(Math.max(expectedRate, 1e-6), 1 - 1e-6);
  const pValue = binomialUpperTail(flagged, n, p);
  const minShare = minShareFor(expectedRate, opts);
  const shifted = pValue < alpha && share >= minShare;
  const counts = `${flagged} of ${n} cells flagged (${pct(share)}, expected about ${pct(expectedRate)})`;
  let reason: string;
  if (shifted) reason = `${counts}: far more than the model's own kind of cells give (p = ${pValue.toPrecision(2)}).`;
  else if (pValue < alpha) reason = `${counts}: more than expected, but under ${pct(minShare)}, too few to call the batch unlike the training data.`;
  else reason = `${counts}: within what the model's own kind of cells give.`;
  return { ...base, verdict: shifted ? 'shifted' : 'in-distribution', pValue, reason };
}

export interface ShiftCellSummaryInput {
  /** null: the cell has no shift score (not classified yet, error, or checks off) */
  flagged: boolean | null;
  /** source folder (see folderOf) */
  folder: string;
}

export interface FolderVerdict extends BatchVerdict {
  folder: string;
}

export interface CaseShiftSummary {
  case: BatchVerdict;
  /** one entry per folder, in order of first appearance */
  folders: FolderVerdict[];
  /** the banner text when the case or any folder is shifted, else null */
  banner: string | null;
}

/** The folder part of a cell's name ("slide-2/sub/x.jpg" → "slide-2/sub"); "" for a file dropped on its own. */
export function folderOf(name: string): string {
  const i = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return i < 0 ? '' : name.slice(0, i);
}

/** Case verdict, per-folder verdicts (Bonferroni over the folders with enough cells) and the banner. */
export function summarizeCaseShift(cells: readonly ShiftCellSummaryInput[], expectedRate: number, opts: BatchTestOptions = {}): CaseShiftSummary {
  let n = 0;
  let flagged = 0;
  const perFolder = new Map<string, { n: number; flagged: number }>();
  for (const c of cells) {
    if (c.flagged === null) continue;
    n++;
    if (c.flagged) flagged++;
    const f = perFolder.get(c.folder) ?? { n: 0, flagged: 0 };
    f.n++;
    if (c.flagged) f.flagged++;
    perFolder.set(c.folder, f);
  }
  const caseVerdict = testBatch(flagged, n, expectedRate, opts);
  const minCells = opts.minCells ?? DEFAULT_MIN_CELLS;
  const tested = [...perFolder.values()].filter((f) => f.n >= minCells).length;
  const alpha = (opts.alpha ?? DEFAULT_ALPHA) / Math.max(1, tested);
  // A single folder is the case itself: no second, stricter test of the same cells.
  const folders: FolderVerdict[] =
    perFolder.size <= 1
      ? [...perFolder.keys()].map((folder) => ({ ...caseVerdict, folder }))
      : [...perFolder.entries()].map(([folder, f]) => ({ ...testBatch(f.flagged, f.n, expectedRate, { ...opts, alphaOverride: alpha }), folder }));
  let banner: string | null = null;
  if (caseVerdict.verdict === 'shifted') banner = shiftBannerText(caseVerdict.share, expectedRate);
  else {
    const worst = folders.filter((f) => f.verdict === 'shifted').sort((a, b) => b.share - a.share)[0];
    if (worst) banner = shiftBannerText(worst.share, expectedRate, worst.folder);
  }
  return { case: caseVerdict, folders, banner };
}

/**
 * The banner (contract: contains "unlike the model's training data"). With `folder`, the case as a
 * whole passed but that folder did not: the text says which.
 */
export function shiftBannerText(flaggedShare: number, expectedRate: number, folder?: string): string {
  const where = folder === undefined ? 'These cells' : `The cells of folder “${folder || '(no folder)'}”`;
  return (
    `${where} look unlike the model's training data (${pct(flaggedShare)} flagged, expected about ${pct(expectedRate)}). ` +
    `Its classes may be wrong here: train a head on your lab's cells (Models → Lab heads).`
  );
}

/** What the app says when a model has no reference statistics. */
export function shiftChecksOffText(modelName: string): string {
  return `Shift checks are off for “${modelName}”: its bundle has no reference statistics, so cells unlike its training data cannot be flagged.`;
}
