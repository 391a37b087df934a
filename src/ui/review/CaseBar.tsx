import { useEffect, useState } from 'react';
import { isLocked, type CaseRecord } from '../../core/case.ts';
import { signCase, signCheck, unlockCase, updateCaseField } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';
import { CaseFiles } from './CaseFiles.tsx';

/** A text field that writes to the case when it loses focus (one audit entry per change, not per key). */
function CaseField({ label, field, value, locked, type = 'text', multiline = false }: { label: string; field: 'sampleId' | 'date' | 'operator' | 'notes'; value: string; locked: boolean; type?: string; multiline?: boolean }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = (): void => void updateCaseField(field, draft.trim());
  const common = { value: draft, disabled: locked, onBlur: commit, 'aria-label': label };
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

function SignControls({ c }: { c: CaseRecord }) {
  const [signer, setSigner] = useState(c.operator);
  const [reason, setReason] = useState('');
  const [unlocking, setUnlocking] = useState(false);
  useEffect(() => setSigner(c.operator), [c.operator]);
  // Re-evaluated on every render: the store changes whenever a cell does.
  useApp((s) => s.cells);
  const check = signCheck(signer);
  if (isLocked(c)) {
    return (
      <div className="sign">
        <p className="signed" data-testid="signed-badge">
          Signed by <strong>{c.signedBy}</strong> on {c.signedAt ? new Date(c.signedAt).toLocaleString() : ''} — locked
        </p>
        {!unlocking ? (
          <button type="button" onClick={() => setUnlocking(true)}>
            Unlock…
          </button>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void unlockCase(reason).then((ok) => ok && (setUnlocking(false), setReason('')));
            }}
          >
            <label>
              Reason for unlocking (kept in the audit trail)
              <input value={reason} onChange={(e) => setReason(e.target.value)} required />
            </label>
            <button type="submit" disabled={!reason.trim()}>
              Unlock case
            </button>
            <button type="button" onClick={() => setUnlocking(false)}>
              Cancel
            </button>
          </form>
        )}
      </div>
    );
  }
  return (
    <form
      className="sign"
      onSubmit={(e) => {
        e.preventDefault();
        void signCase(signer);
      }}
    >
      <label>
        Signed by
        <input value={signer} onChange={(e) => setSigner(e.target.value)} placeholder="name" />
      </label>
      <button type="submit" disabled={!check.ok} aria-describedby="sign-gate">
        Sign case
      </button>
      {!check.ok && (
        <ul id="sign-gate" className="gate" data-testid="sign-gate">
          {check.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </form>
  );
}

/** Sample ID, date, operator, notes, WBC target and count; sign / unlock; case files. */
export function CaseBar() {
  const c = useApp((s) => s.activeCase);
  const caseError = useApp((s) => s.caseError);
  if (!c) return null;
  const locked = isLocked(c);
  return (
    <section className={`casebar${locked ? ' casebar--locked' : ''}`} aria-label="Case">
      <div className="casebar__fields">
        <CaseField label="Sample ID" field="sampleId" value={c.sampleId} locked={locked} />
        <CaseField label="Date" field="date" value={c.date} locked={locked} type="date" />
        <CaseField label="Operator" field="operator" value={c.operator} locked={locked} />
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
      <SignControls c={c} />
      {caseError && (
        <p className="notice notice--error" role="alert" data-testid="case-error">
          {caseError}
        </p>
      )}
      <CaseFiles />
    </section>
  );
}
