import { useEffect, useLayoutEffect, useRef } from 'react';
import { isLocked, targetText } from '../../core/case.ts';
import { exportCsvText, resultsJson } from '../../store/actions.ts';
import { useApp } from '../../store/index.ts';
import { goToNextToReview, toReviewCount } from '../../store/reviewActions.ts';
import { download, resultsFileName } from '../download.ts';
import { focusWasDropped } from '../focus.ts';
import { AddCellButtons } from '../drop/DropZone.tsx';
import { CaseDetailsFields, CaseField } from './CaseFields.tsx';
import { CaseFiles } from './CaseFiles.tsx';
import { SignControls, SignGate } from './SignControls.tsx';

/** Keeps `--bar-h` (the sticky bar's height) on the root, so sticky panels and headings sit under it. */
function useBarHeight(ref: React.RefObject<HTMLElement | null>, sticky: boolean): void {
  useLayoutEffect(() => {
    const el = ref.current;
    const root = document.documentElement;
    root.style.setProperty('--bar-h', '0px');
    if (!el || !sticky || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => root.style.setProperty('--bar-h', `${Math.ceil(el.getBoundingClientRect().height)}px`));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, sticky]);
}

/** The count against the target, short enough for the bar: "87 / 100 WBC", "112 / 100 WBC — 12 past target". */
function barTargetText(wbcTotal: number, target: number): string {
  const base = `${wbcTotal} / ${target} WBC`;
  if (wbcTotal === target) return `${base} — target reached`;
  return wbcTotal > target ? `${base} — ${wbcTotal - target} past target` : base;
}

/** How many cells no reviewer has given a class yet, and a jump to the first of them (also the U key). */
function ToReview() {
  const n = useApp(toReviewCount);
  if (n === 0) return <span className="casebar__reviewed" data-testid="to-review">All cells reviewed</span>;
  return (
    <button type="button" className="button--secondary" data-testid="to-review" aria-keyshortcuts="U" title="Go to the first cell still to review (U)" onClick={() => goToNextToReview(true)}>
      {n} to review <kbd>U</kbd>
    </button>
  );
}

/**
 * The case bar. Once the case has cells it is one slim row that stays at the top: sample ID, count
 * against the target, add cells, sign, print/export, and a "Case" menu with the other fields and the
 * case files. Before that (first visit, a new case) the steps below the bar hold the sample ID,
 * operator and the drop zone, and the bar only offers the case menu (Print/Export are disabled).
 */
export function CaseBar({ wbcTotal }: { wbcTotal: number }) {
  const c = useApp((s) => s.activeCase);
  const caseError = useApp((s) => s.caseError);
  const count = useApp((s) => s.order.length);
  const ref = useRef<HTMLElement>(null);
  const hasCells = count > 0;
  useBarHeight(ref, hasCells);
  // The first cells fold the steps (whose control had focus) into this bar: keep a keyboard user's place
  // on the bar's own "add cells" picker instead of dropping focus to the page.
  useEffect(() => {
    if (hasCells && focusWasDropped()) ref.current?.querySelector<HTMLInputElement>('.casebar__row input[type="file"]')?.focus();
  }, [hasCells]);
  if (!c) return <section className="casebar" aria-label="Case" ref={ref} />;
  const locked = isLocked(c);
  return (
    <section className={`casebar${locked ? ' casebar--locked' : ''}${hasCells ? ' casebar--slim' : ''}`} aria-label="Case" ref={ref}>
      <div className="casebar__row">
        {hasCells ? (
          <CaseField label="Sample ID" field="sampleId" value={c.sampleId} locked={locked} />
        ) : (
          <span className="casebar__title">New case · {c.date}</span>
        )}
        {hasCells && (
          <span className={`casebar__target${wbcTotal > c.target ? ' casebar__target--past' : ''}`} data-testid="bar-target" title={targetText(wbcTotal, c.target)}>
            {barTargetText(wbcTotal, c.target)}
          </span>
        )}
        {hasCells && !locked && <AddCellButtons compact />}
        <SignControls c={c} wbcTotal={wbcTotal} />
        <span className="casebar__out">
          <button type="button" className="button--secondary" disabled={!hasCells} onClick={() => window.print()}>
            Print report
          </button>
          <button type="button" className="button--secondary" disabled={!hasCells} onClick={() => download(exportCsvText(), resultsFileName(c.sampleId, 'csv'), 'text/csv')}>
            Export CSV
          </button>
          <button
            type="button"
            className="button--secondary"
            disabled={!hasCells}
            onClick={() => download(JSON.stringify(resultsJson(), null, 2), resultsFileName(c.sampleId, 'json'), 'application/json')}
          >
            Export JSON
          </button>
        </span>
        <details className="casemenu" data-testid="case-menu">
          <summary>Case details</summary>
          <div className="casemenu__body">
            <CaseDetailsFields c={c} withOperator={hasCells} />
            <CaseFiles />
          </div>
        </details>
        {hasCells && !locked && <ToReview />}
      </div>
      <SignGate c={c} />
      {caseError && (
        <p className="notice notice--error" role="alert" data-testid="case-error">
          {caseError}
        </p>
      )}
    </section>
  );
}
