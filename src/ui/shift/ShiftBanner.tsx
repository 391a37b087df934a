/**
 * The case's shift verdict above the gallery: the banner when the case (or one of its folders) is
 * unlike the model's training data, a quiet note when there are too few cells for a verdict, or
 * that shift checks are off for a model without reference statistics. Plain props: the caller runs
 * summarizeCaseShift (src/core/shift/batch.ts) on the case's cells.
 */
import { formatPercent, SHIFT_FLAG_LABEL, shiftChecksOffText, type CaseShiftSummary } from '../../core/shift/batch.ts';
import './shift.css';

export interface ShiftBannerProps {
  /** null: the model has no reference statistics (shift checks are off) */
  summary: CaseShiftSummary | null;
  /** the model's name, for the "checks off" note */
  modelName: string;
  /** what the user can do about a shifted case (shown under the banner) */
  remedy?: string;
}

const folderName = (f: string) => (f === '' ? '(no folder)' : f);

export function ShiftBanner({ summary, modelName, remedy }: ShiftBannerProps) {
  if (!summary) {
    return (
      <p className="notice notice--info shift-off" role="status" data-testid="shift-checks-off">
        {shiftChecksOffText(modelName)}
      </p>
    );
  }
  if (summary.banner) {
    const shifted = summary.folders.filter((f) => f.verdict === 'shifted');
    return (
      <div className="notice notice--warn shift-banner" role="alert" data-testid="shift-banner">
        <p>{summary.banner}</p>
        {summary.folders.length > 1 && shifted.length > 0 && (
          <ul>
            {shifted.map((f) => (
              <li key={f.folder}>
                {folderName(f.folder)}: {f.flagged} of {f.n} cells flagged ({formatPercent(f.share)})
              </li>
            ))}
          </ul>
        )}
        {remedy && <p className="shift-banner__remedy" data-testid="shift-remedy">{remedy}</p>}
      </div>
    );
  }
  if (summary.case.verdict === 'too-few') {
    return (
      <p className="shift-note muted" data-testid="shift-note">
        {summary.case.reason}
      </p>
    );
  }
  return null;
}

/** The per-cell mark for thumbnails and the detail view: "Unlike the training data", score in the title. */
export function ShiftFlagBadge({ score, threshold }: { score: number; threshold?: number }) {
  const title = `Shift score ${score.toFixed(1)}${threshold === undefined ? '' : ` (threshold ${threshold.toFixed(1)})`}: this cell lies outside what the model was trained on.`;
  return (
    <span className="shift-flag" title={title} data-testid="shift-flag">
      {SHIFT_FLAG_LABEL}
    </span>
  );
}
