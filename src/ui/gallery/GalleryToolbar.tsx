import { labLabel } from '../../core/labLabels.ts';
import type { CellGroup } from '../../core/reviewOrder.ts';
import { useApp } from '../../store/index.ts';
import { setReviewPrefs } from '../../store/reviewActions.ts';
import { THUMB_MAX_PX, THUMB_MIN_PX } from '../../store/reviewSlice.ts';

/** How the gallery is shown: thumbnail size, order inside a group, one class at a time, what a class key does next. */
export function GalleryToolbar() {
  const prefs = useApp((s) => s.reviewPrefs);
  return (
    <div className="gallery-toolbar" role="group" aria-label="Gallery view">
      <label className="gallery-toolbar__size">
        Thumbnail size
        <input
          type="range"
          min={THUMB_MIN_PX}
          max={THUMB_MAX_PX}
          step={10}
          value={prefs.thumbPx}
          aria-valuetext={`${prefs.thumbPx} px`}
          onChange={(e) => setReviewPrefs({ thumbPx: Number(e.target.value) })}
        />
      </label>
      <label>
        <input type="checkbox" checked={prefs.leastConfidentFirst} onChange={(e) => setReviewPrefs({ leastConfidentFirst: e.target.checked })} /> Least
        confident first
      </label>
      <label>
        <input type="checkbox" checked={prefs.oneClassAtATime} onChange={(e) => setReviewPrefs({ oneClassAtATime: e.target.checked })} /> Show one
        class at a time
      </label>
      <label>
        After a class key
        <select value={prefs.afterKey} onChange={(e) => setReviewPrefs({ afterKey: e.target.value as 'next' | 'stay' })}>
          <option value="next">go to the next cell</option>
          <option value="stay">stay on the cell</option>
        </select>
      </label>
    </div>
  );
}

/** Previous / next class when one class is shown at a time. */
export function ClassPager({ groups, current }: { groups: CellGroup[]; current: string }) {
  const i = groups.findIndex((g) => g.cls === current);
  const go = (j: number): void => useApp.setState({ pageClass: groups[j]?.cls ?? null });
  return (
    <nav className="pager" aria-label="Classes, one at a time">
      <button type="button" className="button--secondary" disabled={i <= 0} onClick={() => go(i - 1)} aria-keyshortcuts="PageUp">
        ← Previous class
      </button>
      <label>
        Class
        <select value={current} onChange={(e) => useApp.setState({ pageClass: e.target.value })}>
          {groups.map((g) => (
            <option key={g.cls} value={g.cls}>
              {labLabel(g.cls)} ({g.ids.length})
            </option>
          ))}
        </select>
      </label>
      <span className="muted">
        {i + 1} of {groups.length}
      </span>
      <button type="button" className="button--secondary" disabled={i >= groups.length - 1} onClick={() => go(i + 1)} aria-keyshortcuts="PageDown">
        Next class →
      </button>
    </nav>
  );
}
