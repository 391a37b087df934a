import { useEffect } from 'react';
import { reclassify, redoReclassify, undoReclassify } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';
import { selectCell } from '../../store/selection.ts';

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return Boolean(el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)));
}

/** Page-wide review keys: 1–9/0 assign a legend class to the selection, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo/redo, Esc clears. */
export function useReviewKeys(classes: readonly string[]): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (typingInto(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        void (e.shiftKey ? redoReclassify() : undoReclassify());
        return;
      }
      if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        void redoReclassify();
        return;
      }
      if (e.key === 'Escape') {
        selectCell(null);
        return;
      }
      if (mod || e.altKey || !/^[0-9]$/.test(e.key)) return;
      const index = e.key === '0' ? 9 : Number(e.key) - 1;
      const cls = classes[index];
      const selection = useApp.getState().selection;
      if (cls && selection.length > 0) {
        e.preventDefault();
        void reclassify(selection, cls);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [classes]);
}
