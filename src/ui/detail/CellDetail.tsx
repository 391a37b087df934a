import { useApp } from '../../store/index.ts';
import { selectCell } from '../../store/selection.ts';
import type { CellWithView } from '../useCellViews.ts';
import { useCellImageUrl } from '../useCellImageUrl.ts';

export function CellDetail({ items }: { items: CellWithView[] }) {
  const selectedId = useApp((s) => s.selectedId);
  const item = items.find((i) => i.cell.id === selectedId);
  const url = useCellImageUrl(selectedId ?? '');
  if (!item) return null;
  const { cell, view } = item;
  return (
    <section className="detail" aria-label="Cell detail" data-testid="cell-detail">
      <header>
        <h2>{cell.name}</h2>
        <button type="button" aria-label="Close cell detail" onClick={() => selectCell(null)}>
          ×
        </button>
      </header>
      {url && <img src={url} alt={`Cell ${cell.name}`} className="detail__image" />}
      <dl>
        <dt>Class</dt>
        <dd>{view.className ?? '—'}</dd>
        {cell.width && (
          <>
            <dt>Size</dt>
            <dd>
              {cell.width}×{cell.height} px
            </dd>
          </>
        )}
        <dt>Model</dt>
        <dd>
          {cell.modelId ?? '—'} {cell.modelVersion ?? ''}
        </dd>
      </dl>
      {view.top3.length > 0 && (
        <>
          <h3>Top 3</h3>
          <ol className="top3" data-testid="top3">
            {view.top3.map((t) => (
              <li key={t.cls}>
                <span className="top3__name">{t.cls}</span>
                <span className="top3__bar" style={{ width: `${Math.max(1, t.p * 100)}%` }} />
                <span className="top3__p">{(t.p * 100).toFixed(1)} %</span>
              </li>
            ))}
          </ol>
        </>
      )}
      {cell.error && <p className="error">{cell.error.message}</p>}
    </section>
  );
}
