import { useApp } from '../store/index.ts';
import { dismissToast, undoFromToast } from '../store/reviewActions.ts';

/** "2 cells → IG · Undo" after each reclassification; a polite live region, never takes focus. */
export function Toast() {
  const toast = useApp((s) => s.toast);
  // Centred it would sit on the large view's key hints: with the view open it goes over the grid instead.
  const detailOpen = useApp((s) => s.detailOpen);
  return (
    <div className={`toast-region${detailOpen ? ' toast-region--beside-detail' : ''}`} role="status" aria-live="polite">
      {toast && (
        <div className="toast" key={toast.id} data-testid="toast">
          <span>{toast.text}</span>
          {toast.undo && (
            <>
              {' · '}
              <button type="button" className="link" onClick={() => void undoFromToast()}>
                Undo
              </button>
            </>
          )}
          <button type="button" className="toast__close" aria-label="Dismiss" onClick={dismissToast}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
