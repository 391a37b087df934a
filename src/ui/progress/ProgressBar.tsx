import { cancelJob, runQueue } from '../../store/actions.ts';
import { useApp } from '../../store/index.ts';

function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—';
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
}

/** "Reading N files…" while dropped files are hashed and stored before they become cells. */
function ReadingFiles() {
  const n = useApp((s) => s.addingFiles);
  const walking = useApp((s) => s.walkingDrops > 0);
  if (n === 0 && walking) {
    return (
      <span className="muted" data-testid="adding-files">
        Reading the dropped folders…
      </span>
    );
  }
  if (n === 0) return null;
  return (
    <span className="muted" data-testid="adding-files">
      Reading {n.toLocaleString('en')} file{n === 1 ? '' : 's'}…
    </span>
  );
}

export function ProgressBar() {
  const job = useApp((s) => s.job);
  const queued = useApp((s) => s.queuedCount);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const lastRun = useApp((s) => s.lastRun);
  if (!job) {
    return (
      <div className="progress progress--idle" aria-live="polite">
        <ReadingFiles />
        {queued > 0 && ready && (
          <button type="button" onClick={() => void runQueue()}>
            Classify {queued} waiting cell{queued === 1 ? '' : 's'}
          </button>
        )}
        {lastRun && (
          <span className="muted" data-testid="last-run">
            Last run: {lastRun.cells} cells in {lastRun.seconds.toFixed(1)} s ({lastRun.cellsPerSecond.toFixed(1)} cells/s)
          </span>
        )}
      </div>
    );
  }
  const pct = job.total ? (100 * job.done) / job.total : 0;
  return (
    <div className="progress" aria-live="polite">
      <progress max={job.total} value={job.done} aria-label="Classification progress" />
      <span data-testid="progress-text">
        {job.done} / {job.total} cells · {job.cellsPerSecond.toFixed(1)} cells/s · ETA {formatEta(job.etaSeconds)} ({pct.toFixed(0)} %)
      </span>
      <button type="button" onClick={cancelJob}>
        Cancel
      </button>
      <ReadingFiles />
    </div>
  );
}
