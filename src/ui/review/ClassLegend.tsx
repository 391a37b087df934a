import { useState } from 'react';
import { isLocked } from '../../core/case.ts';
import { addUserClass, reclassify, redoReclassify, setThresholdOverride, undoReclassify } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';
import { CELL_DRAG_TYPE, keyFor, useReviewClasses } from './reviewClasses.ts';

/** Always-visible legend: the number key for each class, drop targets, lab classes, threshold, undo/redo. */
export function ClassLegend() {
  const classes = useReviewClasses();
  const selection = useApp((s) => s.selection);
  const locked = useApp((s) => isLocked(s.activeCase));
  const canUndo = useApp((s) => s.history.past.length > 0);
  const canRedo = useApp((s) => s.history.future.length > 0);
  const modelThreshold = useApp((s) => s.model?.manifest.unidentifiedThreshold ?? 0.5);
  const override = useApp((s) => s.thresholdOverride);
  const [name, setName] = useState('');
  const [wbc, setWbc] = useState(true);
  const threshold = override ?? modelThreshold;

  return (
    <section className="legend" aria-label="Classes">
      <h2>Classes</h2>
      <p className="muted small">Select cells, then press a number (or drag cells onto a class). Shift/Ctrl-click selects several.</p>
      <ol className="legend__list">
        {classes.map((c, i) => (
          <li
            key={c}
            data-testid={`legend-${c}`}
            // The drop target is the list item: a disabled button (nothing selected) would swallow drag events.
            onDragOver={(e) => {
              if (!locked && e.dataTransfer.types.includes(CELL_DRAG_TYPE)) e.preventDefault();
            }}
            onDrop={(e) => {
              if (!e.dataTransfer.types.includes(CELL_DRAG_TYPE)) return;
              e.preventDefault();
              void reclassify(JSON.parse(e.dataTransfer.getData(CELL_DRAG_TYPE)) as string[], c);
            }}
          >
            <button
              type="button"
              className="legend__class"
              disabled={locked || selection.length === 0}
              aria-keyshortcuts={keyFor(i) ?? undefined}
              onClick={() => void reclassify(selection, c)}
            >
              <kbd>{keyFor(i) ?? '·'}</kbd> {c}
            </button>
          </li>
        ))}
      </ol>
      <div className="legend__actions">
        <button type="button" disabled={locked || !canUndo} onClick={() => void undoReclassify()} aria-keyshortcuts="Control+Z">
          Undo
        </button>
        <button type="button" disabled={locked || !canRedo} onClick={() => void redoReclassify()} aria-keyshortcuts="Control+Shift+Z">
          Redo
        </button>
        <button type="button" disabled={locked || selection.length === 0} onClick={() => void reclassify(selection, null)}>
          Back to prediction
        </button>
      </div>
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
      <label className="legend__threshold">
        Unidentified below {(threshold * 100).toFixed(0)} % confidence
        <input
          type="range"
          min={0}
          max={0.95}
          step={0.05}
          value={threshold}
          onChange={(e) => void setThresholdOverride(Number(e.target.value))}
        />
      </label>
      {override !== null && (
        <button type="button" className="link" onClick={() => void setThresholdOverride(null)}>
          Use the model's threshold ({(modelThreshold * 100).toFixed(0)} %)
        </button>
      )}
    </section>
  );
}
