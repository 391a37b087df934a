import { useMemo } from 'react';
import { UNIDENTIFIED } from '../../core/head.ts';
import { NO_CLASSES } from '../../store/selectors.ts';
import { useApp } from '../../store/index.ts';
import type { CellWithView } from '../useCellViews.ts';
import { Thumbnail } from './Thumbnail.tsx';

/** Cells grouped by class (model order, then Unidentified, then anything user-defined), errors listed apart. */
export function Gallery({ items }: { items: CellWithView[] }) {
  const classes = useApp((s) => s.model?.classes ?? NO_CLASSES);
  const selectedId = useApp((s) => s.selectedId);
  const select = useApp((s) => s.select);

  const groups = useMemo(() => {
    const by = new Map<string, CellWithView[]>();
    for (const it of items) {
      if (it.cell.status !== 'classified' && it.cell.userClass === null) continue;
      const k = it.view.className ?? UNIDENTIFIED;
      if (!by.has(k)) by.set(k, []);
      by.get(k)!.push(it);
    }
    const keys = [...classes, UNIDENTIFIED, ...[...by.keys()].filter((k) => !classes.includes(k) && k !== UNIDENTIFIED)];
    return keys.filter((k) => by.has(k)).map((k) => ({ cls: k, items: by.get(k)! }));
  }, [items, classes]);

  const queued = items.filter((i) => i.cell.status === 'queued');
  const errors = items.filter((i) => i.cell.status === 'error');

  if (items.length === 0) return <p className="empty">No cells yet. Add a few crops to start.</p>;
  return (
    <div className="gallery">
      {groups.map((g) => (
        <section key={g.cls} className="gallery__group" aria-label={`${g.cls} (${g.items.length})`} data-testid={`group-${g.cls}`}>
          <h3>
            {g.cls} <span className="count">{g.items.length}</span>
          </h3>
          <ul className="gallery__grid">
            {g.items.map((it) => (
              <Thumbnail key={it.cell.id} item={it} selected={it.cell.id === selectedId} onSelect={select} />
            ))}
          </ul>
        </section>
      ))}
      {queued.length > 0 && (
        <section className="gallery__group" aria-label={`Waiting (${queued.length})`}>
          <h3>
            Waiting <span className="count">{queued.length}</span>
          </h3>
          <ul className="gallery__grid gallery__grid--waiting">
            {queued.slice(0, 60).map((it) => (
              <Thumbnail key={it.cell.id} item={it} selected={false} onSelect={select} />
            ))}
          </ul>
          {queued.length > 60 && <p className="muted">and {queued.length - 60} more…</p>}
        </section>
      )}
      {errors.length > 0 && (
        <section className="errors" aria-label={`Could not classify (${errors.length})`}>
          <h3>
            Could not classify <span className="count">{errors.length}</span>
          </h3>
          <table>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {errors.map(({ cell }) => (
                <tr key={cell.id} className="error-row" data-testid="error-row" data-reason={cell.error?.reason}>
                  <td>{cell.name}</td>
                  <td>{cell.error?.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
