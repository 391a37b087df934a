import { useState } from 'react';
import type { HeadTrainingOutcome } from '../../store/headTraining.ts';
import { discardTrainedHead, keepTrainedHead } from '../../store/headTraining.ts';
import { useApp } from '../../store/index.ts';
import { ConfusionMatrix } from './ConfusionMatrix.tsx';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)} %`);

/** The k-fold result of a training run, beside the current head on the same cells; use, keep or discard it. */
export function TrainingResult() {
  const outcome = useApp((s) => s.headResult) as HeadTrainingOutcome | null;
  const [name, setName] = useState<string | null>(null);
  const activeHeadId = useApp((s) => s.model?.head?.id);
  if (!outcome) return null;
  const { record } = outcome;
  const m = record.metrics;
  const cmp = m?.comparison;
  return (
    <section className="heads__result" aria-label="Training result" data-testid="training-result">
      <h4>
        {record.name} <span className="muted">v{record.version} · {record.trainingSet.total} cells · {record.classes.length} classes</span>
      </h4>
      {m ? (
        <>
          <p className="heads__headline" data-testid="kfold-balanced-accuracy">
            {m.folds}-fold cross-validation: balanced accuracy <strong>{pct(m.balancedAccuracy)}</strong>{' '}
            <span className="muted">
              (folds {pct(m.spread.balancedAccuracy.min)}–{pct(m.spread.balancedAccuracy.max)}) · accuracy {pct(m.accuracy)} · weighted F1 {pct(m.weightedF1)}
            </span>
          </p>
          {cmp && (
            <p data-testid="current-head-comparison">
              The head in use now{cmp.name ? ` (${cmp.name})` : ''}, on the same {cmp.n} cells: balanced accuracy <strong>{pct(cmp.balancedAccuracy)}</strong>
              {cmp.newHeadBalancedAccuracy !== null ? ` — the new head on those cells: ${pct(cmp.newHeadBalancedAccuracy)}` : ''}.{' '}
              <span className="muted small">{cmp.note}</span>
            </p>
          )}
          <p className="small muted">
            kNN (Euclidean, on the same folds): {m.knn.map((k) => `k = ${k.k} balanced accuracy ${pct(k.balancedAccuracy)}`).join(' · ')}
            {m.calibration
              ? m.calibration.applied
                ? ` · probabilities calibrated (temperature ${m.calibration.temperature.toFixed(2)}; expected calibration error ${pct(m.calibration.eceBefore)} → ${pct(m.calibration.eceAfter)})`
                : ` · probabilities left as trained (temperature scaling did not help on held-out folds; expected calibration error ${pct(m.calibration.eceBefore)})`
              : ''}
          </p>
          <div className="heads__metrics">
            <table>
              <caption className="small">Per class (out-of-fold)</caption>
              <thead>
                <tr>
                  <th scope="col">Class</th>
                  <th scope="col">Precision</th>
                  <th scope="col">Recall</th>
                  <th scope="col">Cells</th>
                </tr>
              </thead>
              <tbody>
                {m.perClass.map((c) => (
                  <tr key={c.cls}>
                    <th scope="row">{c.cls}</th>
                    <td>{pct(c.precision)}</td>
                    <td className={c.recall < 0.5 ? 'heads__few' : ''}>{pct(c.recall)}</td>
                    <td>{c.support}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ConfusionMatrix classes={record.classes} confusion={m.confusion} title={`Confusion matrix, ${m.folds}-fold, ${m.n} cells`} />
          </div>
        </>
      ) : (
        <p>No cross-validation was possible with these cells (see the notes): the head was trained, but its accuracy is unknown.</p>
      )}
      {outcome.messages.length > 0 && (
        <ul className="small" data-testid="training-messages">
          {outcome.messages.map((msg) => (
            <li key={msg}>{msg}</li>
          ))}
        </ul>
      )}
      {outcome.skipped.length > 0 && (
        <details className="small">
          <summary>{outcome.skipped.length} file(s) could not be used</summary>
          <ul>
            {outcome.skipped.map((s) => (
              <li key={`${s.index}-${s.path}`}>
                {s.path}: {s.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      <div className="heads__row">
        <label>
          Name
          <input value={name ?? record.name} onChange={(e) => setName(e.target.value)} disabled={outcome.saved} />
        </label>
        <button type="button" disabled={activeHeadId === record.id} onClick={() => void keepTrainedHead(true, name ?? undefined)}>
          {activeHeadId === record.id ? 'In use' : 'Use this head'}
        </button>
        {!outcome.saved && (
          <button type="button" onClick={() => void keepTrainedHead(false, name ?? undefined)}>
            Keep for later
          </button>
        )}
        <button type="button" onClick={() => discardTrainedHead()}>
          {outcome.saved ? 'Close' : 'Discard'}
        </button>
      </div>
    </section>
  );
}
