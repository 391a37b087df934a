import { useState, type DragEvent } from 'react';

/**
 * A drop area inside the page (a model bundle, a checkpoint, a training folder) that takes its drop
 * itself: the page-wide cell drop (DropZone) never sees it, so a dropped .zip or .pth is not added to
 * the case as a cell. `over` is true while something is dragged over the area (for its highlight).
 */
export function useDropTarget(onDrop: (dataTransfer: DataTransfer) => void): {
  over: boolean;
  handlers: { onDragOver: (e: DragEvent) => void; onDragLeave: () => void; onDrop: (e: DragEvent) => void };
} {
  const [over, setOver] = useState(false);
  return {
    over,
    handlers: {
      onDragOver: (e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        onDrop(e.dataTransfer);
      },
    },
  };
}
