import { useEffect, useRef, useState } from 'react';
import { isLocked, type CaseRecord } from '../../core/case.ts';
import { updateCaseField } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';

type TextField = 'sampleId' | 'date' | 'operator' | 'notes' | 'rbcMorphology' | 'plateletMorphology';

/** A text field that writes to the case when it loses focus (one audit entry per change, not per key). */
export function CaseField({ label, field, value, locked, type = 'text', multiline = false, placeholder }: {
  label: string;
  field: TextField;
  value: string;
  locked: boolean;
  type?: string;
  multiline?: boolean;
  placeholder?: string;
}) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = (): void => void updateCaseField(field, draft.trim());
  // What was typed but not yet committed by a blur or Enter: files dropped or pasted while the field has
  // focus fold the first-visit steps away, and removing a focused field fires no blur, so it is committed
  // when the field goes (and when the page is hidden, e.g. on reload). Only for the case it was typed in.
  const caseId = useApp((s) => s.activeCase?.id);
  const pending = useRef({ draft, value, caseId });
  pending.current = { draft, value, caseId };
  useEffect(() => {
    const flush = (): void => {
      const { draft: typed, value: stored, caseId } = pending.current;
      if (typed.trim() !== stored && useApp.getState().activeCase?.id === caseId) void updateCaseField(field, typed.trim());
    };
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, [field]);
  const common = { value: draft, disabled: locked, onBlur: commit, 'aria-label': label, placeholder };
  return (
    <label className={`case-field case-field--${field}`}>
      {label}
      {multiline ? (
        <textarea {...common} rows={2} onChange={(e) => setDraft(e.target.value)} />
      ) : (
        <input {...common} type={type} onChange={(e) => setDraft(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && commit()} />
      )}
    </label>
  );
}

/** Date, target, analyser WBC and notes (and the operator when `withOperator`). */
export function CaseDetailsFields({ c, withOperator }: { c: CaseRecord; withOperator: boolean }) {
  const locked = isLocked(c);
  return (
    <div className="casebar__fields">
      {withOperator && <CaseField label="Operator" field="operator" value={c.operator} locked={locked} />}
      <CaseField label="Date" field="date" value={c.date} locked={locked} type="date" />
      <label className="case-field">
        Target
        <select value={c.target} disabled={locked} onChange={(e) => void updateCaseField('target', Number(e.target.value) as 100 | 200)}>
          <option value={100}>100 white cells</option>
          <option value={200}>200 white cells</option>
        </select>
      </label>
      <label className="case-field">
        Analyser WBC (×10⁹/L)
        <input
          type="number"
          min={0}
          step={0.01}
          disabled={locked}
          defaultValue={c.wbcCount ?? ''}
          key={`${c.id}-${c.wbcCount}`}
          onBlur={(e) => void updateCaseField('wbcCount', e.target.value === '' ? null : Number(e.target.value))}
        />
      </label>
      <CaseField label="Notes" field="notes" value={c.notes} locked={locked} multiline />
    </div>
  );
}

/** Free-text red-cell and platelet morphology, printed in the report. */
export function MorphologyFields({ c }: { c: CaseRecord }) {
  const locked = isLocked(c);
  return (
    <div className="morphology">
      <CaseField label="RBC morphology" field="rbcMorphology" value={c.rbcMorphology ?? ''} locked={locked} multiline placeholder="e.g. anisocytosis +, target cells" />
      <CaseField label="Platelet morphology" field="plateletMorphology" value={c.plateletMorphology ?? ''} locked={locked} multiline placeholder="e.g. giant platelets seen" />
    </div>
  );
}
