import { useCallback, useMemo, useRef, type KeyboardEvent } from 'react';
import { isLocked } from '../../core/case.ts';
import { UNIDENTIFIED } from '../../core/head.ts';
import { reclassify } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';
import { selectCell } from '../../store/selection.ts';
import { CELL_DRAG_TYPE, useReviewClasses } from '../review/reviewClasses.ts';
import type { CellWithView } from '../useCellViews.ts';
import { ErrorRows } from './ErrorRows.tsx';
import { Thumbnail } from './Thumbnail.tsx';

/** Cells grouped by class (legend order, Unidentified first so it gets resolved), errors listed apart. */
export function Gallery({ items }: { items: CellWithView[] }) {
  const classes = useReviewClasses();
  const selection = useApp((s) => s.selection);
  const focusId = useApp((s) => s.selectedId);
  const locked = useApp((s) => isLocked(s.activeCase));
  const gridRef = useRef<HTMLDivElement>(null);

  const groups = useMemo(() => {
    const by = new Map<string, CellWithView[]>();
    for (const it of items) {
      if (it.cell.status !== 'classified' && it.cell.userClass === null) continue;
      const k = it.view.className ?? UNIDENTIFIED;
      if (!by.has(k)) by.set(k, []);
      by.get(k)!.push(it);
    }
    const keys = [UNIDENTIFIED, ...classes, ...[...by.keys()].filter((k) => !classes.includes(k) && k !== UNIDENTIFIED)];
    return keys.filter((k) => by.has(k)).map((k) => ({ cls: k, items: by.get(k)! }));
  }, [items, classes]);

  const visibleOrder = useMemo(() => groups.flatMap((g) => g.items.map((i) => i.cell.id)), [groups]);
  const selected = useMemo(() => new Set(selection), [selection]);
  // Stable callbacks (read the latest order/selection through refs) so memoised thumbnails only
  // re-render when their own cell changes.
  const orderRef = useRef(visibleOrder);
  orderRef.current = visibleOrder;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const onSelect = useCallback((id: string, mode: 'replace' | 'toggle' | 'range') => selectCell(id, mode, orderRef.current), []);
  const dragIds = useCallback((id: string) => (selectedRef.current.has(id) ? [...selectedRef.current] : [id]), []);

  /** Arrow keys move through the gallery as it is laid out on screen (rows wrap across groups). */
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (!['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return;
    const buttons = [...(gridRef.current?.querySelectorAll<HTMLButtonElement>('.gallery__group:not(.gallery__group--waiting) .thumb') ?? [])];
    if (buttons.length === 0) return;
    e.preventDefault();
    const cur = Math.max(0, buttons.findIndex((b) => b.dataset.cellId === focusId));
    let next = cur;
    if (e.key === 'ArrowRight') next = Math.min(buttons.length - 1, cur + 1);
    else if (e.key === 'ArrowLeft') next = Math.max(0, cur - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    else {
      const r = buttons[cur]!.getBoundingClientRect();
      const down = e.key === 'ArrowDown';
      const candidates = buttons
        .map((b, i) => ({ i, rect: b.getBoundingClientRect() }))
        .filter(({ rect }) => (down ? rect.top > r.top + 4 : rect.top < r.top - 4));
      const rowTop = down ? Math.min(...candidates.map((c) => c.rect.top)) : Math.max(...candidates.map((c) => c.rect.top));
      const row = candidates.filter((c) => Math.abs(c.rect.top - rowTop) < 4);
      row.sort((a, b) => Math.abs(a.rect.left - r.left) - Math.abs(b.rect.left - r.left));
      if (row[0]) next = row[0].i;
    }
    const id = buttons[next]!.dataset.cellId!;
    selectCell(id, e.shiftKey ? 'range' : 'replace', visibleOrder);
    buttons[next]!.focus();
  };

  const queued = items.filter((i) => i.cell.status === 'queued');
  const errors = items.filter((i) => i.cell.status === 'error');
  if (items.length === 0) return <p className="empty">No cells yet. Add a few crops to start.</p>;
  const firstFocusable = focusId && visibleOrder.includes(focusId) ? focusId : visibleOrder[0];

  return (
    <div className="gallery" ref={gridRef} onKeyDown={onKeyDown}>
      {groups.map((g) => (
        <section
          key={g.cls}
          className={`gallery__group${g.cls === UNIDENTIFIED ? ' gallery__group--unidentified' : ''}`}
          aria-label={`${g.cls} (${g.items.length})`}
          data-testid={`group-${g.cls}`}
          onDragOver={(e) => {
            if (!locked && g.cls !== UNIDENTIFIED && e.dataTransfer.types.includes(CELL_DRAG_TYPE)) e.preventDefault();
          }}
          onDrop={(e) => {
            if (!e.dataTransfer.types.includes(CELL_DRAG_TYPE)) return;
            e.preventDefault();
            void reclassify(JSON.parse(e.dataTransfer.getData(CELL_DRAG_TYPE)) as string[], g.cls);
          }}
        >
          <h3>
            {g.cls} <span className="count">{g.items.length}</span>
            {g.cls === UNIDENTIFIED && <span className="muted small"> — assign a class to each before signing</span>}
          </h3>
          <ul className="gallery__grid" aria-label={`${g.cls} cells`}>
            {g.items.map((it) => (
              <Thumbnail
                key={it.cell.id}
                item={it}
                selected={selected.has(it.cell.id)}
                focused={it.cell.id === firstFocusable}
                draggable={!locked}
                onSelect={onSelect}
                dragIds={dragIds}
              />
            ))}
          </ul>
        </section>
      ))}
      {queued.length > 0 && (
        <section className="gallery__group gallery__group--waiting" aria-label={`Waiting (${queued.length})`}>
          <h3>
            Waiting <span className="count">{queued.length}</span>
          </h3>
          <p className="muted">{queued.length} cell{queued.length === 1 ? '' : 's'} waiting for the model…</p>
        </section>
      )}
      {errors.length > 0 && <ErrorRows errors={errors} />}
    </div>
  );
}
