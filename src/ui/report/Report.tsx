import { useMemo } from 'react';
import type { WbcDifferential } from '../../core/wbcDifferential.ts';
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
        {view.className} (model: {view.topClass ?? '—'}
        {view.confidence !== null ? ` ${(view.confidence * 100).toFixed(0)} %` : ''})
      </figcaption>
    </figure>
  );
}

/**
 * The printed report (print stylesheet only): sample, differential, flagged cells, model, signer.
 * Flagged = reclassified by the reviewer, or predicted with confidence under the threshold.
 */
export function Report({ items, diff }: { items: CellWithView[]; diff: WbcDifferential }) {
  const c = useApp((s) => s.activeCase);
  const model = useApp((s) => s.model?.manifest);
  const threshold = useApp((s) => s.thresholdOverride ?? s.model?.manifest.unidentifiedThreshold ?? 0.5);
  const flagged = useMemo(
    () => items.filter((i) => i.cell.status === 'classified' && (i.cell.userClass !== null || (i.view.confidence ?? 1) < threshold)),
    [items, threshold],
  );
  const modelIds = useMemo(() => [...new Set(items.map((i) => i.cell.modelId && `${i.cell.modelId} ${i.cell.modelVersion ?? ''}`).filter(Boolean))], [items]);
  if (!c) return null;
  return (
    <article className="report" aria-hidden="true">
      <h1>Blood cell differential — {c.sampleId || '(no sample ID)'}</h1>
      <p>
        Date {c.date} · Operator {c.operator || '—'} · {items.length} cells imaged
      </p>
      <DifferentialTable diff={diff} compact />
      <p>
        White cells counted: {diff.wbcTotal} (target {c.target}){c.wbcCount !== null ? ` · analyser WBC ${c.wbcCount} ×10⁹/L` : ''}
      </p>
      {c.notes && <p>Notes: {c.notes}</p>}
      <h2>Flagged cells ({flagged.length})</h2>
      <div className="report__cells">
        {flagged.slice(0, 60).map((i) => (
          <FlaggedCell key={i.cell.id} item={i} />
        ))}
      </div>
      <p>
        Model: {model ? `${model.name} v${model.version}` : '—'}
        {modelIds.length ? ` (cells classified with ${modelIds.join(', ')})` : ''}. Unidentified threshold {(threshold * 100).toFixed(0)} %.
      </p>
      <p>
        {c.status === 'signed' ? `Signed by ${c.signedBy} at ${c.signedAt ? new Date(c.signedAt).toLocaleString() : ''}.` : 'NOT SIGNED — preliminary.'}{' '}
        Printed {new Date().toLocaleString()}. Computed in the browser by DinoBloom Web; research and education use, not a diagnostic device.
      </p>
    </article>
  );
}
