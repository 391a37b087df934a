import { useEffect } from 'react';
import { useApp } from '../../store/index.ts';
import { assignClass, closeDetail, followTo, goToNextToReview, undoInReview } from '../../store/reviewActions.ts';
import { selectCell } from '../../store/selection.ts';

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  // A file picker takes no typing: the review keys (G, digits) still work from it (focus rests there after adding cells).
  if (el instanceof HTMLInputElement && el.type === 'file') return false;
  return Boolean(el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)));
}

/** Keyboard focus is in the large cell view (class keys then keep it there). */
const inDetail = (el: Element | null): boolean => Boolean(el?.closest('.detail'));

/** Puts keyboard focus on the current cell of the gallery (the skip link and the "g" key). */
export function focusGallery(): void {
  const s = useApp.getState();
  const id = s.selectedId ?? document.querySelector<HTMLElement>('#gallery .gallery__group:not(.gallery__group--waiting) .thumb')?.dataset.cellId;
  if (!id) {
    // No cell yet: the first step of the empty case.
    document.querySelector<HTMLElement>('.firstvisit input, #gallery')?.focus();
    return;
  }
  if (!s.selection.includes(id)) selectCell(id);
  followTo(id, true);
}

/**
 * Page-wide review keys: 1–9/0 assign a legend class to the selection (then the next cell of the
 * group is selected and focused, unless the reviewer chose "stay"), Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y)
 * undo/redo (selection and focus go back to the cells undone), G goes to the gallery, U to the first
 * cell still to review, Esc closes the large view or clears the selection.
 */
export function useReviewKeys(classes: readonly string[]): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (typingInto(e.target) || e.defaultPrevented) return;
      if ((e.target as Element | null)?.closest?.('dialog')) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        void undoInReview(e.shiftKey, !inDetail(document.activeElement));
        return;
      }
      if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        void undoInReview(true, !inDetail(document.activeElement));
        return;
      }
      if (e.key === 'Escape') {
        if (useApp.getState().detailOpen) closeDetail(true);
        else selectCell(null);
        return;
      }
      if (mod || e.altKey) return;
      if (e.key === 'g' || e.key === 'G') {
        e.preventDefault();
        focusGallery();
        return;
      }
      if (e.key === 'u' || e.key === 'U') {
        e.preventDefault();
        goToNextToReview(!inDetail(document.activeElement));
        return;
      }
      if (!/^[0-9]$/.test(e.key)) return;
      const index = e.key === '0' ? 9 : Number(e.key) - 1;
      const cls = classes[index];
      const selection = useApp.getState().selection;
      if (cls) {
        e.preventDefault();
        void assignClass(selection, cls, { advance: true, focus: !inDetail(document.activeElement) });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [classes]);
}
