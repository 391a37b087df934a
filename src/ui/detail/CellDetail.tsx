import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { isLocked } from '../../core/case.ts';
import { BUNDLE_HEAD_ID } from '../../core/cell.ts';
import { labLabel, reviewSentence } from '../../core/labLabels.ts';
import { useApp } from '../../store/index.ts';
import { closeDetail, removeReviewCells, stepSelection } from '../../store/reviewActions.ts';
import type { CellWithView } from '../useCellViews.ts';
import { useCellImageUrl } from '../useCellImageUrl.ts';

const ZOOMS = [1, 1.5, 2, 3, 4];
/** The last focus request (ReviewSlice.detailFocus) the large view acted on; survives its unmounting. */
let handledFocus = 0;

/**
 * The large cell view beside the grid: the selected cell big (zoom), the model's top-3 with
 * probabilities, "model said X, reviewer set Y", previous/next, removal. Class keys work here too
 * (the page-wide handler), ←/→ go to the previous/next cell, Esc closes and returns to the grid.
 */
export function CellDetail({ items }: { items: CellWithView[] }) {
  const open = useApp((s) => s.detailOpen);
  const selectedId = useApp((s) => s.selectedId);
  const focusN = useApp((s) => s.detailFocus);
  const locked = useApp((s) => isLocked(s.activeCase));
  const item = items.find((i) => i.cell.id === selectedId);
  const url = useCellImageUrl(open ? (selectedId ?? '') : '');
  const [zoom, setZoom] = useState(1);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => setConfirmRemove(false), [selectedId]);
  useEffect(() => {
    // Take focus only for a new request (opened from the keyboard), not on every mount.
    if (open && focusN !== handledFocus) {
      handledFocus = focusN;
      ref.current?.focus();
    }
  }, [open, focusN]);
  if (!open) return null;

  const onKeyDown = (e: KeyboardEvent<HTMLElement>): void => {
    if ((e.target as HTMLElement).matches('input, select, textarea')) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') {
      e.preventDefault();
      stepSelection(1, false);
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') {
      e.preventDefault();
      stepSelection(-1, false);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      closeDetail(true);
    } else if (e.key === '+' || e.key === '=') setZoom((z) => ZOOMS.find((x) => x > z) ?? z);
    else if (e.key === '-') setZoom((z) => [...ZOOMS].reverse().find((x) => x < z) ?? z);
  };

  return (
    <section className="detail" aria-label="Cell detail" data-testid="cell-detail" tabIndex={-1} ref={ref} onKeyDown={onKeyDown}>
      <header className="detail__header">
        <h2>{item ? item.cell.name : 'No cell selected'}</h2>
        <span className="detail__nav">
          <button type="button" className="button--secondary" onClick={() => stepSelection(-1, false)} aria-keyshortcuts="ArrowLeft">
            ← Previous
          </button>
          <button type="button" className="button--secondary" onClick={() => stepSelection(1, false)} aria-keyshortcuts="ArrowRight">
            Next →
          </button>
          <button type="button" className="button--secondary" aria-label="Close cell detail" aria-keyshortcuts="Escape" onClick={() => closeDetail(true)}>
            ×
          </button>
        </span>
      </header>
      {item && <DetailBody item={item} url={url} zoom={zoom} setZoom={setZoom} />}
      {item &&
        !locked &&
        (confirmRemove ? (
          <p role="alertdialog" aria-label="Confirm removing this cell" className="confirm">
            Remove {item.cell.name} from the case? It is no longer counted; the audit trail keeps the removal.{' '}
            <button type="button" className="button--danger" onClick={() => void removeReviewCells([item.cell.id])}>
              Remove the cell
            </button>{' '}
            <button type="button" className="button--secondary" onClick={() => setConfirmRemove(false)}>
              Keep it
            </button>
          </p>
        ) : (
          <button type="button" className="button--secondary detail__remove" onClick={() => setConfirmRemove(true)}>
            Remove this cell…
          </button>
        ))}
      <p className="muted small">Class keys reclassify this cell · ←/→ previous/next · +/− zoom · Esc back to the grid</p>
    </section>
  );
}

function DetailBody({ item, url, zoom, setZoom }: { item: CellWithView; url: string | null; zoom: number; setZoom(z: number): void }) {
  const { cell, view } = item;
  const frame = useRef<HTMLDivElement>(null);
  // Zooming keeps the middle of the crop (where the cell is) in view.
  useEffect(() => {
    const f = frame.current;
    if (!f) return;
    const centre = (): void => {
      f.scrollLeft = (f.scrollWidth - f.clientWidth) / 2;
      f.scrollTop = (f.scrollHeight - f.clientHeight) / 2;
    };
    centre();
    const img = f.querySelector('img');
    img?.addEventListener('load', centre, { once: true });
    return () => img?.removeEventListener('load', centre);
  }, [zoom, url]);
  return (
    <>
      <div className="detail__zoom" role="group" aria-label="Zoom">
        {ZOOMS.map((z) => (
          <button key={z} type="button" className="button--secondary button--small" aria-pressed={zoom === z} onClick={() => setZoom(z)}>
            {z}×
          </button>
        ))}
      </div>
      {/* Focusable so that a zoomed image can be panned with the arrow keys. */}
      <div className="detail__frame" ref={frame} tabIndex={0} role="group" aria-label="Cell image (scroll to pan when zoomed)" onKeyDown={(e) => e.stopPropagation()}>
        {url && <img src={url} alt={`Cell ${cell.name}`} className="detail__image" style={{ width: `${zoom * 100}%` }} />}
      </div>
      <p className="detail__verdict" data-testid="review-sentence">
        <strong>{view.className ? labLabel(view.className) : 'Waiting'}</strong> — {reviewSentence(view, cell.userClass)}
      </p>
      {cell.shift?.flagged && (
        <p className="notice notice--warn" data-testid="detail-unlike">
          <strong>Unlike the training data</strong>: this cell is far from what the model was trained on (score {cell.shift.score.toFixed(2)}), so
          its class is less reliable.
        </p>
      )}
      {cell.framing && !cell.framing.cellFound && (
        <p className="notice notice--warn" data-testid="detail-framing">
          {cell.framing.note ?? 'No cell found in this crop: the whole crop was used.'}
        </p>
      )}
      {cell.secondView && (
        <p className="muted" data-testid="detail-second-view">
          Looked at twice: the model was unsure at first, so it also read the cell turned 90° and averaged both views.
        </p>
      )}
      {view.top3.length > 0 && (
        <>
          <h3>Model's top 3</h3>
          <ol className="top3" data-testid="top3">
            {view.top3.map((t) => (
              <li key={t.cls}>
                <span className="top3__name">{labLabel(t.cls)}</span>
                <span className="top3__track">
                  <span className="top3__bar" style={{ width: `${Math.max(1, t.p * 100)}%` }} />
                </span>
                <span className="top3__p">{(t.p * 100).toFixed(1)} %</span>
              </li>
            ))}
          </ol>
        </>
      )}
      <dl className="detail__facts">
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
        {cell.head && (
          <>
            <dt>{cell.head.id === BUNDLE_HEAD_ID ? "Model's own head" : 'Lab head'}</dt>
            <dd data-testid="detail-head">
              {cell.head.name} v{cell.head.version}
            </dd>
          </>
        )}
      </dl>
      {cell.error && <p className="error">{cell.error.message}</p>}
    </>
  );
}
