import type { LabHeadRecord } from '../../core/training/index.ts';
import type { StoredHead } from '../../storage/heads.ts';

/** One line about a stored head: date, classes, cells and its k-fold balanced accuracy when known. */
export function headSummary(h: StoredHead): string {
  const rec = h.record as LabHeadRecord | null;
  const parts = [new Date(h.createdAt).toLocaleDateString(), `${h.classes.length} classes`];
  if (rec?.trainingSet?.total) parts.push(`${rec.trainingSet.total} cells`);
  const m = rec?.metrics;
  if (m) parts.push(`${m.folds}-fold balanced accuracy ${(100 * m.balancedAccuracy).toFixed(1)} %`);
  return parts.join(' · ');
}
