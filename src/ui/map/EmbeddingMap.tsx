/**
 * The embedding map: a case's cells on a 2-D layout (PCA or UMAP, computed by the caller) together
 * with the model's reference cells, coloured by class, by shift flag or by source folder. Hover
 * shows the cell's thumbnail; click or lasso selects cells (`onSelect`); a table beside the map
 * gives each folder's batch offset. Plain props only — the caller connects selection to the
 * gallery and supplies thumbnails.
 *
 * Drawing: points are painted into an offscreen "base" canvas when data, colours or size change;
 * the visible canvas is that bitmap plus the selection rings, redrawn only when the selection
 * changes. Hover and lasso never touch the canvas: the hover ring is a small element moved with a
 * transform and the lasso an SVG polygon updated in place, so a frame repaints a few small
 * rectangles, not 5,000 points (software-rendered browsers included).
 */
import { useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { MapMethod } from '../../core/map/layout.ts';
import { formatPercent, SHIFT_FLAG_LABEL } from '../../core/shift/batch.ts';
import { colourPoints, groupByColour, makeScale, PointGrid, pointsInLasso, type ColourBy, type MapCell, type MapReferenceCell, type PlotBox } from './mapModel.ts';
import './map.css';

export type { ColourBy, MapCell, MapReferenceCell };

export interface MapFolderRow {
  folder: string;
  /** cells of the folder on the map */
  n: number;
  /** share flagged as unlike the training data (null: checks off) */
  flaggedShare: number | null;
  /** batch offset (src/core/shift/batchEffect.ts), and what cells of the model's own kind would give */
  offset: number | null;
  expected: number | null;
  /** the batch test called this folder unlike the training data */
  shifted?: boolean;
}

export interface EmbeddingMapProps {
  cells: readonly MapCell[];
  reference: readonly MapReferenceCell[];
  /** what each axis is, e.g. "PC 1 (23 % of variance)" / "UMAP 1" */
  axes: readonly [string, string];
  /** a line under the map, e.g. that UMAP axes have no units */
  note?: string;
  method?: MapMethod;
  /** shows the PCA / UMAP switch */
  onMethodChange?: (m: MapMethod) => void;
  /** a layout being computed (UMAP): label and 0..1 */
  progress?: { label: string; fraction: number } | null;
  onCancel?: () => void;
  colourBy?: ColourBy;
  onColourByChange?: (c: ColourBy) => void;
  /** the model's classes, so each keeps its colour */
  classOrder?: readonly string[];
  thumbnailUrl?: (id: string) => string | null | undefined;
  selectedIds?: ReadonlySet<string>;
  onSelect?: (ids: string[]) => void;
  folderRows?: readonly MapFolderRow[];
  /** CSS pixels of the plot (default 640 × 440) */
  width?: number;
  height?: number;
}

const MARGIN = { left: 46, right: 10, top: 10, bottom: 26 };
const HOVER_RADIUS = 8;
const CLICK_SLOP = 4;

const folderName = (f: string) => (f === '' ? '(no folder)' : f);
const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

interface TipState {
  cell: MapCell;
  x: number;
  y: number;
  thumb: string | null;
}

/** The hover tooltip, with state of its own: hovering re-renders this, not the whole map. */
function MapTooltip({ api, width, height }: { api: { current: ((t: TipState | null) => void) | null }; width: number; height: number }) {
  const [tip, setTip] = useState<TipState | null>(null);
  useEffect(() => {
    api.current = setTip;
    return () => {
      api.current = null;
    };
  }, [api]);
  if (!tip) return null;
  return (
    <div className="emap__tip" data-testid="map-tooltip" style={{ left: Math.min(tip.x + 12, width - 150), top: Math.max(0, Math.min(tip.y + 12, height - 170)) }}>
      {tip.thumb && <img src={tip.thumb} alt="" width={96} height={96} />}
      <div className="emap__tipclass">{tip.cell.className}</div>
      <div className="muted">{folderName(tip.cell.folder)}</div>
      {tip.cell.flagged && <div className="emap__tipflag">{SHIFT_FLAG_LABEL}</div>}
    </div>
  );
}

export function EmbeddingMap(props: EmbeddingMapProps) {
  const { cells, reference, axes, width = 640, height = 440, classOrder, onSelect, thumbnailUrl } = props;
  const method = props.method ?? 'pca';
  const [ownColourBy, setOwnColourBy] = useState<ColourBy>('class');
  const colourBy = props.colourBy ?? ownColourBy;
  const setColourBy = (c: ColourBy) => (props.onColourByChange ? props.onColourByChange(c) : setOwnColourBy(c));
  const selected = props.selectedIds;

  const canvasRef = useRef<HTMLCanvasElement>(null);
  const baseRef = useRef<HTMLCanvasElement | null>(null);
  const lassoRef = useRef<{ x: number; y: number }[] | null>(null);
  const lassoEl = useRef<SVGPolygonElement>(null);
  const ringEl = useRef<HTMLDivElement>(null);
  const hoverRef = useRef(-1);
  const tipApi = useRef<((t: TipState | null) => void) | null>(null);

  const box: PlotBox = useMemo(() => ({ left: MARGIN.left, top: MARGIN.top, width: width - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom }), [width, height]);
  const scale = useMemo(() => makeScale([...cells, ...reference], box), [cells, reference, box]);
  const screen = useMemo(() => {
    const xs = Float32Array.from(cells, (c) => scale.x(c.x));
    const ys = Float32Array.from(cells, (c) => scale.y(c.y));
    return { xs, ys, grid: new PointGrid(xs, ys) };
  }, [cells, scale]);
  const colouring = useMemo(() => colourPoints(cells, reference, colourBy, classOrder), [cells, reference, colourBy, classOrder]);
  const dpr = typeof window === 'undefined' ? 1 : Math.min(3, window.devicePixelRatio || 1);
  const showTicks = method === 'pca';

  const layer = (ref: { current: HTMLCanvasElement | null }) => {
    const c = ref.current ?? document.createElement('canvas');
    ref.current = c;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  };

  // base layer: frame, ticks, reference cells, case cells
  useEffect(() => {
    const ctx = layer(baseRef);
    ctx.fillStyle = '#fff';
    ctx.fillRect(box.left, box.top, box.width, box.height);
    ctx.strokeStyle = '#c9c2c8';
    ctx.lineWidth = 1;
    ctx.strokeRect(box.left + 0.5, box.top + 0.5, box.width - 1, box.height - 1);
    if (showTicks) {
      ctx.fillStyle = '#5f5a5e';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.strokeStyle = '#efeaee';
      for (const t of scale.xTicks) {
        const x = Math.round(scale.x(t)) + 0.5;
        ctx.beginPath(); ctx.moveTo(x, box.top + 1); ctx.lineTo(x, box.top + box.height - 1); ctx.stroke();
        ctx.fillText(String(t), x, box.top + box.height + 4);
      }
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (const t of scale.yTicks) {
        const y = Math.round(scale.y(t)) + 0.5;
        ctx.beginPath(); ctx.moveTo(box.left + 1, y); ctx.lineTo(box.left + box.width - 1, y); ctx.stroke();
        ctx.fillText(String(t), box.left - 5, y);
      }
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    // reference cells: hollow rings under the case's cells
    ctx.lineWidth = 1.2;
    ctx.globalAlpha = 0.75;
    for (const [colour, idx] of groupByColour(colouring.reference)) {
      ctx.beginPath();
      for (const i of idx) {
        const x = scale.x(reference[i]!.x);
        const y = scale.y(reference[i]!.y);
        ctx.moveTo(x + 3.5, y);
        ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
      }
      ctx.strokeStyle = colour;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    const r = cells.length > 2000 ? 2.2 : 3;
    for (const [colour, idx] of groupByColour(colouring.cell)) {
      ctx.beginPath();
      for (const i of idx) {
        ctx.moveTo(screen.xs[i]! + r, screen.ys[i]!);
        ctx.arc(screen.xs[i]!, screen.ys[i]!, r, 0, 2 * Math.PI);
      }
      ctx.fillStyle = colour;
      ctx.fill();
    }
    ctx.restore();
  }, [cells, reference, colouring, scale, screen, box, width, height, dpr, showTicks]);

  // the visible canvas: base bitmap + selection rings (after the base effect: effects run in order)
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !baseRef.current) return;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(baseRef.current, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (selected && selected.size > 0) {
      ctx.beginPath();
      cells.forEach((c, i) => {
        if (!selected.has(c.id)) return;
        ctx.moveTo(screen.xs[i]! + 5, screen.ys[i]!);
        ctx.arc(screen.xs[i]!, screen.ys[i]!, 5, 0, 2 * Math.PI);
      });
      ctx.lineWidth = 1.6;
      ctx.strokeStyle = '#111';
      ctx.stroke();
    }
  }, [selected, cells, screen, colouring, scale, box, width, height, dpr, showTicks]);

  const drawLasso = (points: { x: number; y: number }[] | null) => {
    const el = lassoEl.current;
    if (el) el.setAttribute('points', points ? points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ') : '');
  };

  const local = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  const setHovered = (index: number, p: { x: number; y: number }) => {
    if (index !== hoverRef.current) {
      hoverRef.current = index;
      const ring = ringEl.current;
      if (ring) {
        ring.hidden = index < 0;
        if (index >= 0) ring.style.transform = `translate(${screen.xs[index]! - 7}px, ${screen.ys[index]! - 7}px)`;
      }
      // only the tooltip re-renders on hover, not the map
      const cell = index >= 0 ? cells[index] : undefined;
      tipApi.current?.(cell ? { cell, x: p.x, y: p.y, thumb: thumbnailUrl?.(cell.id) ?? null } : null);
    }
  };

  const onPointerDown = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    lassoRef.current = [local(e)];
    setHovered(-1, { x: 0, y: 0 });
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const p = local(e);
    const lasso = lassoRef.current;
    if (lasso) {
      const last = lasso[lasso.length - 1]!;
      if (Math.abs(p.x - last.x) + Math.abs(p.y - last.y) >= 2) {
        lasso.push(p);
        drawLasso(lasso);
      }
      return;
    }
    setHovered(screen.grid.nearest(p.x, p.y, HOVER_RADIUS), p);
  };
  const finishLasso = (e: ReactPointerEvent<HTMLCanvasElement>, commit: boolean) => {
    const lasso = lassoRef.current;
    lassoRef.current = null;
    drawLasso(null);
    if (!lasso || !commit || !onSelect) return;
    const add = e.shiftKey || e.ctrlKey || e.metaKey;
    const xs = lasso.map((p) => p.x);
    const ys = lasso.map((p) => p.y);
    const isClick = Math.max(...xs) - Math.min(...xs) < CLICK_SLOP && Math.max(...ys) - Math.min(...ys) < CLICK_SLOP;
    let ids: string[];
    if (isClick) {
      const i = screen.grid.nearest(lasso[0]!.x, lasso[0]!.y, HOVER_RADIUS);
      if (i < 0) {
        if (!add) onSelect([]);
        return;
      }
      const id = cells[i]!.id;
      if (add && selected) ids = selected.has(id) ? [...selected].filter((s) => s !== id) : [...selected, id];
      else ids = [id];
    } else {
      ids = pointsInLasso(screen.xs, screen.ys, lasso).map((i) => cells[i]!.id);
      if (add && selected) ids = [...new Set([...selected, ...ids])];
    }
    onSelect(ids);
  };

  const nFlagged = cells.filter((c) => c.flagged === true).length;
  const hasFlags = cells.some((c) => c.flagged !== null);
  const selectedCount = selected ? cells.filter((c) => selected.has(c.id)).length : 0;
  const summary =
    `Embedding map (${method === 'pca' ? 'PCA' : 'UMAP'}) of ${cells.length} cells of this case` +
    `${hasFlags ? `, ${nFlagged} flagged as unlike the training data` : ''}, with ${reference.length} reference cells of the model's training data.`;

  return (
    <section className="emap" aria-label="Embedding map" data-testid="embedding-map">
      <div className="emap__controls">
        {props.onMethodChange && (
          <fieldset className="emap__switch">
            <legend>Layout</legend>
            {(['pca', 'umap'] as const).map((m) => (
              <label key={m}>
                <input type="radio" name="emap-method" checked={method === m} onChange={() => props.onMethodChange!(m)} /> {m === 'pca' ? 'PCA' : 'UMAP'}
              </label>
            ))}
          </fieldset>
        )}
        <fieldset className="emap__switch">
          <legend>Colour by</legend>
          {([['class', 'Class'], ['flag', 'Unlike training data'], ['folder', 'Folder (batch)']] as const).map(([k, label]) => (
            <label key={k}>
              <input type="radio" name="emap-colour" checked={colourBy === k} onChange={() => setColourBy(k)} /> {label}
            </label>
          ))}
        </fieldset>
        {props.progress && (
          <div className="emap__progress" role="status">
            <span>{props.progress.label}</span>
            <progress max={1} value={props.progress.fraction} aria-label={props.progress.label} />
            {props.onCancel && (
              <button type="button" className="button--secondary" onClick={props.onCancel}>
                Cancel
              </button>
            )}
          </div>
        )}
      </div>
      <div className="emap__body">
        <figure className="emap__figure">
          <div className="emap__plot">
            <span className="emap__ylabel" data-testid="map-y-axis">{axes[1]}</span>
            <div className="emap__canvaswrap" style={{ width, height }}>
              <canvas
                ref={canvasRef}
                role="img"
                aria-label={summary}
                data-testid="map-canvas"
                style={{ width, height }}
                onPointerDown={onPointerDown}
                onPointerMove={onPointerMove}
                onPointerUp={(e) => finishLasso(e, true)}
                onPointerCancel={(e) => finishLasso(e, false)}
                onPointerLeave={() => !lassoRef.current && setHovered(-1, { x: 0, y: 0 })}
              />
              <div ref={ringEl} className="emap__ring" hidden />
              <svg className="emap__lasso" width={width} height={height} aria-hidden="true">
                <polygon ref={lassoEl} points="" />
              </svg>
              <MapTooltip api={tipApi} width={width} height={height} />
            </div>
          </div>
          <figcaption>
            <div className="emap__xlabel" data-testid="map-x-axis">{axes[0]}</div>
            {props.note && <p className="emap__note muted">{props.note}</p>}
          </figcaption>
        </figure>
        <aside className="emap__side">
          <h3>Legend</h3>
          <ul className="emap__legend" data-testid="map-legend">
            {colouring.legend.map((l) => (
              <li key={l.key}>
                <span className="emap__swatch" style={{ background: l.colour }} /> {l.label} <span className="muted">({l.count})</span>
              </li>
            ))}
            <li>
              <span className="emap__swatch emap__swatch--ring" /> Reference cells: the model's training data <span className="muted">({reference.length})</span>
            </li>
          </ul>
          <p className="emap__selection" aria-live="polite">
            {selectedCount > 0 ? `${selectedCount} cell${selectedCount === 1 ? '' : 's'} selected` : 'Drag a lasso or click to select cells.'}
            {selectedCount > 0 && onSelect && (
              <button type="button" className="button--secondary" onClick={() => onSelect([])}>
                Clear selection
              </button>
            )}
          </p>
          {props.folderRows && props.folderRows.length > 0 && (
            <table className="emap__folders" data-testid="map-folder-table">
              <caption>Batch effect by folder</caption>
              <thead>
                <tr>
                  <th scope="col">Folder</th>
                  <th scope="col">Cells</th>
                  <th scope="col">Flagged</th>
                  <th scope="col" title="distance of the folder's cells from the reference cells of the same classes, in the units of the shift score">
                    Offset
                  </th>
                  <th scope="col" title="the offset that many cells of the model's own kind would show">Expected</th>
                </tr>
              </thead>
              <tbody>
                {props.folderRows.map((r) => (
                  <tr key={r.folder} className={r.shifted ? 'emap__row--shifted' : undefined}>
                    <th scope="row">{r.shifted ? '⚠ ' : ''}{folderName(r.folder)}</th>
                    <td>{r.n}</td>
                    <td>{r.flaggedShare === null ? '–' : formatPercent(r.flaggedShare)}</td>
                    <td>{fmt(r.offset)}</td>
                    <td>≈ {fmt(r.expected)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </aside>
      </div>
    </section>
  );
}
