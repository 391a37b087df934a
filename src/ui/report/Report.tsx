import { useEffect, useMemo, useRef } from 'react';
import { targetText } from '../../core/case.ts';
import { labLabel } from '../../core/labLabels.ts';
import type { WbcDifferential } from '../../core/wbcDifferential.ts';
import { caseShiftSummary } from '../../store/caseShift.ts';
import { useApp } from '../../store/index.ts';
import { DifferentialTable } from '../differential/DifferentialTable.tsx';
import type { CellWithView } from '../useCellViews.ts';
import { useCellImageUrl } from '../useCellImageUrl.ts';

function FlaggedCell({ item }: { item: CellWithView }) {
  const url = useCellImageUrl(item.cell.id);
  const { cell, view } = item;
  return (
    <figure className="report__cell">
      {url && <img src={url} alt="" />}
      <figcaption>
        {view.className ? labLabel(view.className) : '—'} (model: {view.topClass ? labLabel(view.topClass) : '—'}
        {view.confidence !== null ? ` ${(view.confidence * 100).toFixed(0)} %` : ''})
        {cell.shift?.flagged ? ' · unlike the training data' : ''}
      </figcaption>
    </figure>
  );
}

/**
 * The time the report is printed. The browser fires `beforeprint` (and switches the print media
 * query) right before it lays the page out for printing, so the text is written then — directly,
 * without waiting for React — and not left at whatever time the page last rendered.
 */
function PrintTime() {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const write = (): void => {
      if (ref.current) ref.current.textContent = new Date().toLocaleString();
    };
    write();
    const mq = window.matchMedia?.('print');
    const onChange = (e: MediaQueryListEvent): void => {
      if (e.matches) write();
    };
    window.addEventListener('beforeprint', write);
    mq?.addEventListener?.('change', onChange);
    return () => {
      window.removeEventListener('beforeprint', write);
      mq?.removeEventListener?.('change', onChange);
    };
  }, []);
  return <span ref={ref} data-testid="print-time" />;
}

/**
 * The printed report (print stylesheet only): sample, differential, morphology, flagged cells, model,
 * signer, print time. Flagged = reclassified by the reviewer, predicted with confidence under the
 * threshold, or unlike the training data. "Imaged" counts the cells that could be read.
 */
export function Report({ items, diff }: { items: CellWithView[]; diff: WbcDifferential }) {
  const c = useApp((s) => s.activeCase);
  const loaded = useApp((s) => s.model);
  const model = loaded?.manifest;
  const cellsById = useApp((s) => s.cells);
  const order = useApp((s) => s.order);
  const shift = useMemo(() => (loaded ? caseShiftSummary(order.map((id) => cellsById[id]!).filter(Boolean), loaded) : null), [order, cellsById, loaded]);
  const threshold = useApp((s) => s.thresholdOverride ?? s.model?.manifest.unidentifiedThreshold ?? 0.5);
  const flagged = useMemo(
    () => items.filter((i) => i.cell.status === 'classified' && (i.cell.userClass !== null || (i.view.confidence ?? 1) < threshold || i.cell.shift?.flagged)),
    [items, threshold],
  );
  // encoder and head of every classifier that classified cells of this case
  const modelIds = useMemo(
    () =>
      [...new Set(items.map((i) => i.cell.modelId && `${i.cell.modelId} ${i.cell.modelVersion ?? ''}${i.cell.head && i.cell.head.id !== 'bundle' ? ` + lab head ${i.cell.head.name} v${i.cell.head.version}` : ''}`).filter(Boolean))],
    [items],
  );
  const unreadable = items.filter((i) => i.cell.status === 'error').length;
  if (!c) return null;
  const imaged = items.length - unreadable;
  return (
    <article className="report" aria-hidden="true">
      <h1>Blood cell differential — {c.sampleId || '(no sample ID)'}</h1>
      <p>
        Date {c.date} · Operator {c.operator || '—'} · {imaged} cells imaged
        {unreadable > 0 ? ` (${unreadable} file${unreadable === 1 ? '' : 's'} could not be read and ${unreadable === 1 ? 'is' : 'are'} not counted)` : ''}
      </p>
      {shift?.banner && <p className="report__shift" data-testid="report-shift">{shift.banner}</p>}
      <DifferentialTable diff={diff} compact />
      <p>
        White cells counted: {diff.wbcTotal} (target {c.target}
        {diff.wbcTotal > c.target ? ` — ${targetText(diff.wbcTotal, c.target).split(' — ')[1]}` : ''})
        {c.wbcCount !== null ? ` · analyser WBC ${c.wbcCount} ×10⁹/L` : ''}
      </p>
      <h2>Morphology</h2>
      <dl className="report__morphology">
        <dt>RBC</dt>
        <dd>{c.rbcMorphology?.trim() || 'not recorded'}</dd>
        <dt>Platelets</dt>
        <dd>{c.plateletMorphology?.trim() || 'not recorded'}</dd>
      </dl>
      {c.notes && <p>Notes: {c.notes}</p>}
      <h2>Flagged cells ({flagged.length})</h2>
      <div className="report__cells">
        {flagged.slice(0, 60).map((i) => (
          <FlaggedCell key={i.cell.id} item={i} />
        ))}
      </div>
      <p>
        Model: {model ? `${model.name} v${model.version}` : '—'}
        {loaded?.head && loaded.head.id !== 'bundle' ? `, lab head ${loaded.head.name} v${loaded.head.version}` : ''}
        {modelIds.length ? ` (cells classified with ${modelIds.join(', ')})` : ''}. Unidentified threshold {(threshold * 100).toFixed(0)} %.
      </p>
      <p>
        {c.status === 'signed' ? `Signed by ${c.signedBy} at ${c.signedAt ? new Date(c.signedAt).toLocaleString() : ''}.` : 'NOT SIGNED — preliminary.'}{' '}
        Printed <PrintTime />. Computed in the browser by DinoBloom Web; research and education use, not a diagnostic device.
      </p>
    </article>
  );
}
