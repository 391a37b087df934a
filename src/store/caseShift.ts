/**
 * The open case's shift verdict (src/core/shift/batch.ts) for the banner, the report and the
 * exports: cells scored against the active head's reference statistics, per case and per source
 * folder. Null when shift checks are off for the active head.
 */
import { BUNDLE_HEAD_ID, type Cell } from '../core/cell.ts';
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

/**
 * What the user can do about a shifted case, in words: the cross-lab built-in when the bundle's own
 * head of another model is classifying, else a lab head trained on this lab's own labelled cells.
 */
export function shiftRemedy(model: LoadedModel, crossLabModelId: string | null): string {
  const labHead = model.head !== null && model.head.id !== BUNDLE_HEAD_ID;
  if (labHead) return 'Cells from a scanner or stain the lab head was not trained on: add labelled cells like these to its training set and train it again (Lab heads).';
  const lab = 'train a lab head on your own labelled cells (Lab heads)';
  if (crossLabModelId && model.manifest.id !== crossLabModelId) {
    return `Cells from another scanner or stain: try the built-in model made for other labs' smears (Models → Built in → ${crossLabModelId}; cells added after the switch use it), or ${lab}.`;
  }
  return `Cells from another scanner or stain: ${lab}.`;
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
