import type { AuditEntry } from '../../core/case.ts';
import { labLabel } from '../../core/labLabels.ts';
import { useApp } from '../../store/index.ts';

const ACTION_WORDS: Record<AuditEntry['action'], string> = {
  create: 'created the case',
  edit: 'edited',
  reclassify: 'reclassified',
  sign: 'signed',
  unlock: 'unlocked',
  'add-cells': 'added cells',
  'delete-cells': "deleted the case's cells",
  'remove-cell': 'removed a cell',
  import: 'imported',
  'reclassify-head': 're-classified the case with another head',
  'reclassify-model': 're-classified the case with another model',
};

const FIELD_WORDS: Record<string, string> = {
  sampleId: 'sample ID',
  operator: 'operator',
  date: 'date',
  notes: 'notes',
  target: 'target',
  wbcCount: 'analyser WBC',
  rbcMorphology: 'RBC morphology',
  plateletMorphology: 'platelet morphology',
};

const cls = (v: string | null | undefined): string => (v === null || v === undefined ? '—' : labLabel(v));

function change(e: AuditEntry): string {
  if (e.action === 'reclassify') return `${cls(e.from)} → ${cls(e.to)}`;
  if (e.action === 'edit') return `${FIELD_WORDS[e.detail ?? ''] ?? e.detail ?? ''}: ${e.from || '(empty)'} → ${e.to || '(empty)'}`;
  if (e.action === 'remove-cell') return e.from ? `was ${labLabel(e.from)}` : '';
  if (e.action === 'reclassify-head' || e.action === 'reclassify-model') return `${e.from ?? '—'} → ${e.to ?? '—'}`;
  return '';
}

/** The case's audit trail, newest first: who, when, what, from → to, why. */
export function AuditPanel() {
  const audit = useApp((s) => s.activeCase?.audit);
  if (!audit) return null;
  const rows = [...audit].reverse();
  return (
    <section className="audit" aria-label="Audit trail">
      <p className="muted small">Every change to this case, newest first ({audit.length}). It travels with the case export.</p>
      <div className="audit__scroll" tabIndex={0} role="group" aria-label="Audit entries">
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">From → to</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e, i) => (
              <tr key={`${e.at}-${audit.length - i}`} data-action={e.action}>
                <td>
                  <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
                </td>
                <td>{e.who || '—'}</td>
                <td>
                  {ACTION_WORDS[e.action] ?? e.action}
                  {e.file ? <span className="audit__file"> {e.file}</span> : null}
                  {e.detail && e.action !== 'edit' ? <span className="muted"> ({e.detail})</span> : null}
                  {e.reason ? <span> — reason: {e.reason}</span> : null}
                </td>
                <td>{change(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
