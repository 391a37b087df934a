import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { isLocked } from '../../core/case.ts';
import { UNIDENTIFIED } from '../../core/head.ts';
import { labLabel } from '../../core/labLabels.ts';
import { groupCells, type ReviewItem } from '../../core/reviewOrder.ts';
import { useApp } from '../../store/index.ts';
import { assignClass, openDetail } from '../../store/reviewActions.ts';
import { selectCell } from '../../store/selection.ts';
import { CELL_DRAG_TYPE, useReviewClasses } from '../review/reviewClasses.ts';
import type { CellWithView } from '../useCellViews.ts';
import { ErrorRows } from './ErrorRows.tsx';
import { ClassPager } from './GalleryToolbar.tsx';
import { Thumbnail } from './Thumbnail.tsx';

/** Width of an element, kept up to date. */
function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setW(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

const GAP_PX = 6.4; // .gallery__grid gap (0.4rem)
const HEADING_PX = 30;
const GRID_MARGIN_PX = 8;

/**
 * A floor for a group's height: what it takes once laid out (a little under, never over). Groups off
 * screen are not rendered (content-visibility: auto) and keep the size they had when last on screen —
 * stale once cells were added to them meanwhile (a group of 24 kept the height of 4), so a scroll or a
 * focus() to a far cell landed short when the groups in between were laid out. min-height corrects it.
 */
function groupHeight(n: number, thumbPx: number, width: number): number {
  if (width <= 0 || n === 0) return 0;
  const cols = Math.max(1, Math.floor((width + GAP_PX) / (thumbPx + GAP_PX)));
  const rows = Math.ceil(n / cols);
  return Math.floor(HEADING_PX + rows * thumbPx + (rows - 1) * GAP_PX + GRID_MARGIN_PX);
}

/** Scrolls a cell into view if it is not (the sticky bar and headings count as off screen: scroll-margin). */
function revealCell(el: HTMLElement): void {
  const r = el.getBoundingClientRect();
  const css = getComputedStyle(el);
  const top = parseFloat(css.scrollMarginTop) || 0;
  const bottom = parseFloat(css.scrollMarginBottom) || 0;
  if (r.top < top || r.bottom > window.innerHeight - bottom) el.scrollIntoView({ block: 'nearest' });
}

const toReviewItem = ({ cell, view }: CellWithView): ReviewItem => ({
  id: cell.id,
  className: view.className,
  status: cell.status,
  confidence: view.confidence,
  reviewed: cell.userClass !== null,
});

/**
 * Cells grouped by class (Unidentified first so it gets resolved, then legend order), errors listed
 * apart. Group headings stick while their group scrolls; with "one class at a time" a single group
 * is shown and a pager moves between classes. Arrow keys move through the cells as laid out on
 * screen, Enter/Space open the large view, and after a class key focus lands on the next cell.
 */
export function Gallery({ items }: { items: CellWithView[] }) {
  const classes = useReviewClasses();
  const selection = useApp((s) => s.selection);
  const focusId = useApp((s) => s.selectedId);
  const locked = useApp((s) => isLocked(s.activeCase));
  const prefs = useApp((s) => s.reviewPrefs);
  const pageClass = useApp((s) => s.pageClass);
  const focusRequest = useApp((s) => s.focusRequest);
  const gridRef = useRef<HTMLDivElement>(null);
  const width = useWidth(gridRef);

  const byId = useMemo(() => new Map(items.map((i) => [i.cell.id, i])), [items]);
  const groups = useMemo(
    () => groupCells(items.map(toReviewItem), classes, { leastConfidentFirst: prefs.leastConfidentFirst }),
    [items, classes, prefs.leastConfidentFirst],
  );
  const current = prefs.oneClassAtATime ? (groups.find((g) => g.cls === pageClass) ?? groups[0]) : undefined;
  const shown = current ? [current] : groups;

  const visibleOrder = useMemo(() => shown.flatMap((g) => g.ids), [shown]);
  const selected = useMemo(() => new Set(selection), [selection]);
  // Stable callbacks (read the latest order/selection through refs) so memoised thumbnails only
  // re-render when their own cell changes.
  const orderRef = useRef(visibleOrder);
  orderRef.current = visibleOrder;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const onSelect = useCallback((id: string, mode: 'replace' | 'toggle' | 'range') => selectCell(id, mode, orderRef.current), []);
  const onOpen = useCallback((id: string) => openDetail(id, false), []);
  const dragIds = useCallback((id: string) => (selectedRef.current.has(id) ? [...selectedRef.current] : [id]), []);

  // Keyboard focus follows the review (next cell after a class key, back from the large view).
  const revealing = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (!focusRequest) return;
    const el = gridRef.current?.querySelector<HTMLButtonElement>(`.thumb[data-cell-id="${CSS.escape(focusRequest.id)}"]`);
    if (!el) return;
    el.focus();
    revealCell(el);
    // Closing the large view widens the grid, and the groups' heights (min-height from `width`, which a
    // ResizeObserver reports a render later) shrink after this focus() scrolled: the cell moves off
    // screen. The layout effect below brings it back when that width arrives: once, and only shortly
    // after the request (a later resize of the window is the user's, and so is where they scroll then).
    revealing.current = el;
    const t = setTimeout(() => (revealing.current = null), 1000);
    return () => clearTimeout(t);
  }, [focusRequest]);
  useLayoutEffect(() => {
    const el = revealing.current;
    revealing.current = null;
    if (el && document.activeElement === el) revealCell(el);
  }, [width]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const onThumb = (e.target as HTMLElement).classList.contains('thumb');
    if (onThumb && (e.key === 'Enter' || e.key === ' ') && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      openDetail((e.target as HTMLElement).dataset.cellId!, true);
      return;
    }
    if (current && (e.key === 'PageDown' || e.key === 'PageUp')) {
      const i = groups.indexOf(current) + (e.key === 'PageDown' ? 1 : -1);
      const g = groups[i];
      if (g) {
        e.preventDefault();
        useApp.setState({ pageClass: g.cls });
        selectCell(g.ids[0]!);
        useApp.setState({ focusRequest: { id: g.ids[0]!, n: (useApp.getState().focusRequest?.n ?? 0) + 1 } });
      }
      return;
    }
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
  const firstFocusable = focusId && visibleOrder.includes(focusId) ? focusId : visibleOrder[0];

  return (
    <div className="gallery" id="gallery" ref={gridRef} onKeyDown={onKeyDown} style={{ '--thumb': `${prefs.thumbPx}px` } as React.CSSProperties}>
      {current && <ClassPager groups={groups} current={current.cls} />}
      {shown.map((g) => (
        <section
          key={g.cls}
          className={`gallery__group${g.cls === UNIDENTIFIED ? ' gallery__group--unidentified' : ''}`}
          aria-label={`${labLabel(g.cls)} (${g.ids.length})`}
          data-testid={`group-${g.cls}`}
          style={{ minHeight: `${groupHeight(g.ids.length, prefs.thumbPx, width)}px` }}
          onDragOver={(e) => {
            if (!locked && g.cls !== UNIDENTIFIED && e.dataTransfer.types.includes(CELL_DRAG_TYPE)) e.preventDefault();
          }}
          onDrop={(e) => {
            if (!e.dataTransfer.types.includes(CELL_DRAG_TYPE)) return;
            e.preventDefault();
            void assignClass(JSON.parse(e.dataTransfer.getData(CELL_DRAG_TYPE)) as string[], g.cls, { advance: false, focus: false });
          }}
        >
          <h3 className="gallery__heading">
            {labLabel(g.cls)} <span className="count">{g.ids.length}</span>
            {g.cls === UNIDENTIFIED && <span className="muted small"> — assign a class to each before signing</span>}
          </h3>
          <ul className="gallery__grid" aria-label={`${labLabel(g.cls)} cells`}>
            {g.ids.map((id) => {
              const it = byId.get(id)!;
              return (
                <Thumbnail
                  key={id}
                  item={it}
                  selected={selected.has(id)}
                  focused={id === firstFocusable}
                  draggable={!locked}
                  onSelect={onSelect}
                  onOpen={onOpen}
                  dragIds={dragIds}
                />
              );
            })}
          </ul>
        </section>
      ))}
      {queued.length > 0 && (
        <section className="gallery__group gallery__group--waiting" aria-label={`Waiting (${queued.length})`}>
          <h3 className="gallery__heading">
            Waiting <span className="count">{queued.length}</span>
          </h3>
          <p className="muted">
            {queued.length} cell{queued.length === 1 ? '' : 's'} waiting for the model…
          </p>
        </section>
      )}
      {errors.length > 0 && <ErrorRows errors={errors} locked={locked} />}
    </div>
  );
}
