import { memo } from 'react';
import type { CellWithView } from '../useCellViews.ts';
import { useCellImageUrl } from '../useCellImageUrl.ts';

export const Thumbnail = memo(function Thumbnail({ item, selected, onSelect }: { item: CellWithView; selected: boolean; onSelect(id: string): void }) {
  const url = useCellImageUrl(item.cell.id);
  const { cell, view } = item;
  const label = `${cell.name}: ${view.className ?? 'waiting'}${view.confidence !== null ? `, ${(view.confidence * 100).toFixed(0)} %` : ''}`;
  return (
    <li>
      <button
        type="button"
        className={`thumb${selected ? ' thumb--selected' : ''}`}
        aria-label={label}
        aria-pressed={selected}
        data-cell-name={cell.name}
        data-class={view.className ?? ''}
        onClick={() => onSelect(cell.id)}
      >
        {url ? <img src={url} alt="" width={88} height={88} /> : <span className="thumb__placeholder" />}
        <span className="thumb__prob">{view.confidence !== null ? `${(view.confidence * 100).toFixed(0)}%` : '…'}</span>
      </button>
    </li>
  );
});
