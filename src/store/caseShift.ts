/**
 * The open case's shift verdict (src/core/shift/batch.ts) for the banner, the report and the
 * exports: cells scored against the active head's reference statistics, per case and per source
 * folder. Null when shift checks are off for the active head.
 */
import type { Cell } from '../core/cell.ts';
import { folderOf, summarizeCaseShift, type CaseShiftSummary } from '../core/shift/batch.ts';
import type { LoadedModel } from '../inference/types.ts';

export function caseShiftSummary(cells: readonly Cell[], model: LoadedModel | null): CaseShiftSummary | null {
  if (!model?.shift) return null;
  return summarizeCaseShift(
    cells.map((c) => ({ flagged: c.status === 'classified' && c.shift ? c.shift.flagged : null, folder: folderOf(c.name) })),
    model.shift.expectedFlagRate,
  );
}

/** Why shift checks are off for the active classifier, in words. */
export function shiftChecksOffReason(model: LoadedModel): string {
  if (model.head && model.head.id !== 'bundle') {
    return `Shift checks are off for lab head “${model.head.name}” v${model.head.version}: it has no reference statistics (too few training cells), so cells unlike its training data cannot be flagged.`;
  }
  return `Shift checks are off for “${model.manifest.name}”: its bundle has no reference statistics, so cells unlike its training data cannot be flagged.`;
}

/** The verdict as plain data for the JSON export. */
export function shiftExport(summary: CaseShiftSummary | null): Record<string, unknown> {
  if (!summary) return { checks: 'off' };
  const c = summary.case;
  return {
    checks: 'on',
    verdict: c.verdict,
    scoredCells: c.n,
    flaggedCells: c.flagged,
    flaggedShare: c.share,
    pValue: c.pValue,
    reason: c.reason,
    banner: summary.banner,
    folders: summary.folders.map((f) => ({ folder: f.folder, verdict: f.verdict, n: f.n, flagged: f.flagged, share: f.share })),
  };
}
