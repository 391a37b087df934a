import { targetText } from '../../core/case.ts';
import { conventionalOrder, labLabel } from '../../core/labLabels.ts';
import type { WbcDifferential } from '../../core/wbcDifferential.ts';

const fmt = (v: number | null, d = 1): string => (v === null ? '—' : v.toFixed(d));

/**
 * White-cell differential (percentages over white cells only) in the conventional order (neutrophil,
 * lymphocyte, monocyte, eosinophil, basophil, then the rest), classes as labs write them (IG, NRBC),
 * other cells per 100 WBC, progress to the target (and how far past it, when counting went on).
 */
export function DifferentialTable({ diff, compact = false }: { diff: WbcDifferential; compact?: boolean }) {
  const showAbs = diff.wbcCount !== null;
  const rows = conventionalOrder(diff.rows, (r) => r.className);
  // In tenths, as shown (null before any white cell).
  const shownSum = diff.wbcTotal > 0 ? rows.reduce((a, r) => a + Math.round(r.percentRounded * 10), 0) : null;
  // The printed copy (compact) carries no test ids, so tests address the on-screen table only.
  const tid = (id: string): string | undefined => (compact ? undefined : id);
  return (
    <section className="differential" aria-labelledby={compact ? undefined : 'diff-title'}>
      {!compact && <h2 id="diff-title">Differential</h2>}
      {!compact && (
        <div className="target">
          <progress max={diff.target} value={Math.min(diff.wbcTotal, diff.target)} aria-label="White cells counted towards the target" />
          <span data-testid={tid("target-progress")}>
            {targetText(diff.wbcTotal, diff.target)}
          </span>
        </div>
      )}
      <table data-testid={tid("differential")}>
        <thead>
          <tr>
            <th scope="col">White cells</th>
            <th scope="col">Count</th>
            <th scope="col">%</th>
            {showAbs && <th scope="col">×10⁹/L</th>}
          </tr>
        </thead>
        <tbody>
          {rows.flatMap((r) => [
            <tr key={r.className} data-class={r.className}>
              <th scope="row">{labLabel(r.className)}</th>
              <td>{r.count}</td>
              <td>{r.percentRounded.toFixed(1)}</td>
              {showAbs && <td>{fmt(r.absolute, 2)}</td>}
            </tr>,
            ...r.members.map((m) => (
              <tr key={`${r.className}/${m.className}`} className="member" data-class={m.className}>
                <th scope="row">{labLabel(m.className)}</th>
                <td>{m.count}</td>
                <td>{m.percent.toFixed(1)}</td>
                {showAbs && <td>{fmt(m.absolute, 2)}</td>}
              </tr>
            )),
          ])}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">White cells</th>
            <td data-testid={tid("diff-wbc")}>{diff.wbcTotal}</td>
            <td>{diff.wbcTotal ? '100.0' : '—'}</td>
            {showAbs && <td>{fmt(diff.wbcCount, 2)}</td>}
          </tr>
        </tfoot>
      </table>
      {diff.per100.length > 0 && (
        <table data-testid={tid("per100")}>
          <thead>
            <tr>
              <th scope="col">Other cells</th>
              <th scope="col">Count</th>
              <th scope="col">per 100 WBC</th>
            </tr>
          </thead>
          <tbody>
            {diff.per100.map((r) => (
              <tr key={r.className} data-class={r.className}>
                <th scope="row">{labLabel(r.className)}</th>
                <td>{r.count}</td>
                <td>{fmt(r.per100Wbc)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* A footnote, after both tables: above the other cells it pushed their last rows out of a 720 px view. */}
      {shownSum !== null && shownSum !== 1000 && (
        <p className="muted small differential__rounding">
          Each white-cell % is rounded on its own, so that column adds to {(shownSum / 10).toFixed(1)}.
        </p>
      )}
      <p className="muted small">
        Classified: <span data-testid={tid("diff-total")}>{diff.total - diff.unidentified - diff.errors - diff.queued}</span>
        {diff.unidentified > 0 && (
          <>
            {' '}· Unidentified: <span data-testid={tid("diff-unidentified")}>{diff.unidentified}</span>
          </>
        )}
        {diff.errors > 0 && <> · could not classify: {diff.errors}</>}
        {diff.queued > 0 && <> · waiting: {diff.queued}</>}
      </p>
    </section>
  );
}
