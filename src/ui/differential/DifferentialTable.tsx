import { useMemo } from 'react';
import { differentialCounts } from '../../core/differential.ts';
import { NO_CLASSES } from '../../store/selectors.ts';
import { useApp } from '../../store/index.ts';
import type { CellWithView } from '../useCellViews.ts';

export function DifferentialTable({ items }: { items: CellWithView[] }) {
  const classes = useApp((s) => s.model?.classes ?? NO_CLASSES);
  const diff = useMemo(
    () => differentialCounts(items.filter((i) => i.cell.status !== 'queued').map((i) => ({ className: i.cell.status === 'error' ? null : i.view.className })), classes),
    [items, classes],
  );
  return (
    <section className="differential" aria-labelledby="diff-title">
      <h2 id="diff-title">Differential</h2>
      <table data-testid="differential">
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Count</th>
            <th scope="col">%</th>
          </tr>
        </thead>
        <tbody>
          {diff.rows.map((r) => (
            <tr key={r.className} data-class={r.className}>
              <th scope="row">{r.className}</th>
              <td>{r.count}</td>
              <td>{r.percentRounded.toFixed(1)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total classified</th>
            <td data-testid="diff-total">{diff.classified}</td>
            <td>{diff.classified ? '100.0' : '—'}</td>
          </tr>
          {diff.unidentified > 0 && (
            <tr>
              <th scope="row">Unidentified (not in %)</th>
              <td data-testid="diff-unidentified">{diff.unidentified}</td>
              <td />
            </tr>
          )}
          {diff.errors > 0 && (
            <tr>
              <th scope="row">Could not classify</th>
              <td>{diff.errors}</td>
              <td />
            </tr>
          )}
        </tfoot>
      </table>
    </section>
  );
}
