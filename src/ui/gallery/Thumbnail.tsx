import { memo, useRef } from 'react';
import { CELL_DRAG_TYPE } from '../review/reviewClasses.ts';
import type { CellWithView } from '../useCellViews.ts';
import { useCellImageUrl } from '../useCellImageUrl.ts';

interface Props {
  item: CellWithView;
  selected: boolean;
  focused: boolean;
  draggable: boolean;
  onSelect(id: string, mode: 'replace' | 'toggle' | 'range'): void;
  dragIds(id: string): string[];
}

export const Thumbnail = memo(function Thumbnail({ item, selected, focused, draggable, onSelect, dragIds }: Props) {
  const ref = useRef<HTMLButtonElement>(null);
  const url = useCellImageUrl(item.cell.id, ref);
  const { cell, view } = item;
  const reviewed = cell.userClass !== null;
  const label = `${cell.name}: ${view.className ?? 'waiting'}${view.confidence !== null ? `, ${(view.confidence * 100).toFixed(0)} %` : ''}${reviewed ? `, reviewed (model said ${view.predictedClass ?? '—'})` : ''}`;
  return (
    <li>
      <button
        ref={ref}
        type="button"
        className={`thumb${selected ? ' thumb--selected' : ''}${reviewed ? ' thumb--reviewed' : ''}`}
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
        onClick={(e) => onSelect(cell.id, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'replace')}
      >
        {url ? <img src={url} alt="" width={88} height={88} draggable={false} /> : <span className="thumb__placeholder" />}
        <span className="thumb__prob">{view.confidence !== null ? `${(view.confidence * 100).toFixed(0)}%` : '…'}</span>
        {reviewed && <span className="thumb__reviewed" aria-hidden="true">✓</span>}
      </button>
    </li>
  );
});
