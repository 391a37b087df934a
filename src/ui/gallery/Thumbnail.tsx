import { memo, useRef } from 'react';
import { badgeText, labLabel } from '../../core/labLabels.ts';
import { useApp } from '../../store/index.ts';
import { CELL_DRAG_TYPE } from '../review/reviewClasses.ts';
import type { CellWithView } from '../useCellViews.ts';
import { useCellImageUrl } from '../useCellImageUrl.ts';

interface Props {
  item: CellWithView;
  selected: boolean;
  focused: boolean;
  draggable: boolean;
  onSelect(id: string, mode: 'replace' | 'toggle' | 'range'): void;
  onOpen(id: string): void;
  dragIds(id: string): string[];
}

export const Thumbnail = memo(function Thumbnail({ item, selected, focused, draggable, onSelect, onOpen, dragIds }: Props) {
  const ref = useRef<HTMLButtonElement>(null);
  const url = useCellImageUrl(item.cell.id, ref);
  const { cell, view } = item;
  const reviewed = cell.userClass !== null;
  const unlike = cell.shift?.flagged === true;
  const badge = badgeText(view, reviewed);
  const label = [
    `${cell.name}: ${view.className ? labLabel(view.className) : 'waiting'}`,
    view.confidence !== null ? `${(view.confidence * 100).toFixed(0)} %` : null,
    reviewed ? `reviewed (model said ${view.topClass ? labLabel(view.topClass) : '—'})` : null,
    unlike ? 'unlike the training data' : null,
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <li>
      <button
        ref={ref}
        type="button"
        className={`thumb${selected ? ' thumb--selected' : ''}${reviewed ? ' thumb--reviewed' : ''}${unlike ? ' thumb--unlike' : ''}`}
        aria-label={label}
        aria-pressed={selected}
        tabIndex={focused ? 0 : -1}
        data-cell-id={cell.id}
        data-cell-name={cell.name}
        data-class={view.className ?? ''}
        draggable={draggable}
        onDragStart={(e) => {
          e.dataTransfer.setData(CELL_DRAG_TYPE, JSON.stringify(dragIds(cell.id)));
          e.dataTransfer.effectAllowed = 'move';
        }}
        onFocus={(e) => {
          // Arriving by keyboard (Tab, the skip link, "g") selects the cell, as the arrow keys do.
          // (Read from the store: arrow keys select before they move focus, and a Shift range must stay.)
          if (!useApp.getState().selection.includes(cell.id) && e.currentTarget.matches(':focus-visible')) onSelect(cell.id, 'replace');
        }}
        onClick={(e) => onSelect(cell.id, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'replace')}
        onDoubleClick={() => onOpen(cell.id)}
      >
        {url ? <img src={url} alt="" draggable={false} /> : <span className="thumb__placeholder" />}
        <span className={`thumb__prob${badge.startsWith('model:') ? ' thumb__prob--model' : ''}`} title="the model's probability for its own top class">
          {badge}
        </span>
        {reviewed && <span className="thumb__reviewed" aria-hidden="true">✓</span>}
        {unlike && (
          <span className="thumb__unlike" aria-hidden="true" title="Unlike the training data">
            Unlike the training data
          </span>
        )}
      </button>
    </li>
  );
});
