import { useMemo, useState } from 'react';
import { isLocked } from '../../core/case.ts';
import { labLabel } from '../../core/labLabels.ts';
import { addUserClass, setThresholdOverride } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';
import { assignClass, undoInReview } from '../../store/reviewActions.ts';
import type { CellWithView } from '../useCellViews.ts';
import { CELL_DRAG_TYPE, keyFor, useReviewClasses } from './reviewClasses.ts';

/**
 * Always-visible legend at full contrast: the number key and the count of each class, drop
 * targets, undo/redo, threshold, lab classes. Until the model's classes are known it says so
 * instead of numbering a shorter list (keys never renumber when the model loads).
 */
export function ClassLegend({ items }: { items: CellWithView[] }) {
  const classes = useReviewClasses();
  const selection = useApp((s) => s.selection);
  const locked = useApp((s) => isLocked(s.activeCase));
  const canUndo = useApp((s) => s.history.past.length > 0);
  const canRedo = useApp((s) => s.history.future.length > 0);
  const modelThreshold = useApp((s) => s.model?.manifest.unidentifiedThreshold ?? 0.5);
  const override = useApp((s) => s.thresholdOverride);
  const modelLoaded = useApp((s) => s.model !== null);
  const [name, setName] = useState('');
  const [wbc, setWbc] = useState(true);
  const threshold = override ?? modelThreshold;
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    for (const { view } of items) if (view.className) m.set(view.className, (m.get(view.className) ?? 0) + 1);
    return m;
  }, [items]);
  const assign = (cls: string | null): void => void assignClass(selection, cls, { advance: true, focus: false });

  return (
    <section className="legend" aria-label="Classes">
      <h2>Classes</h2>
      {classes.length === 0 ? (
        <p className="muted small">{modelLoaded ? 'This model has no classification head yet, so no classes.' : 'The classes appear when the model has loaded.'}</p>
      ) : (
        <ol className="legend__list">
          {classes.map((c, i) => (
            <li
              key={c}
              data-testid={`legend-${c}`}
              // The drop target is the list item, so a drag works whatever the button's state.
              onDragOver={(e) => {
                if (!locked && e.dataTransfer.types.includes(CELL_DRAG_TYPE)) e.preventDefault();
              }}
              onDrop={(e) => {
                if (!e.dataTransfer.types.includes(CELL_DRAG_TYPE)) return;
                e.preventDefault();
                void assignClass(JSON.parse(e.dataTransfer.getData(CELL_DRAG_TYPE)) as string[], c, { advance: false, focus: false });
              }}
            >
              <button type="button" className="legend__class" disabled={locked} aria-keyshortcuts={keyFor(i) ?? undefined} onClick={() => assign(c)}>
                <kbd>{keyFor(i) ?? '·'}</kbd>
                <span className="legend__name">{labLabel(c)}</span>
                <span className="legend__count" data-testid={`legend-count-${c}`}>
                  {counts.get(c) ?? 0}
                </span>
              </button>
            </li>
          ))}
        </ol>
      )}
      <p className="muted small legend__help">
        <span className="legend__help-long">Select cells (click, Shift/Ctrl-click, arrow keys), then press a number or drag them onto a class. </span>
        <span className="legend__help-short">Number: class · drag onto a class · </span>
        <kbd>Enter</kbd> large view · <kbd>G</kbd> back to the cells.
      </p>
      <div className="legend__actions">
        <button type="button" className="button--secondary" disabled={locked || !canUndo} onClick={() => void undoInReview(false, false)} aria-keyshortcuts="Control+Z">
          Undo
        </button>
        <button type="button" className="button--secondary" disabled={locked || !canRedo} onClick={() => void undoInReview(true, false)} aria-keyshortcuts="Control+Shift+Z">
          Redo
        </button>
        <button type="button" className="button--secondary" disabled={locked || selection.length === 0} onClick={() => assign(null)}>
          Back to prediction
        </button>
      </div>
      <label className="legend__threshold">
        Unidentified below {(threshold * 100).toFixed(0)} % confidence
        <input type="range" min={0} max={0.95} step={0.05} value={threshold} onChange={(e) => void setThresholdOverride(Number(e.target.value))} />
      </label>
      {override !== null && (
        <button type="button" className="link" onClick={() => void setThresholdOverride(null)}>
          Use the model's threshold ({(modelThreshold * 100).toFixed(0)} %)
        </button>
      )}
      <details className="legend__more">
        <summary>Add a lab class</summary>
        <form
          className="legend__add"
          onSubmit={(e) => {
            e.preventDefault();
            void addUserClass(name, wbc);
            setName('');
          }}
        >
          <label>
            New lab class
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. hairy cell" />
          </label>
          <label className="inline">
            <input type="checkbox" checked={wbc} onChange={(e) => setWbc(e.target.checked)} /> counts as a white cell
          </label>
          <button type="submit" disabled={!name.trim()}>
            Add class
          </button>
        </form>
      </details>
    </section>
  );
}
