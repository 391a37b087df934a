import { useEffect } from 'react';
import { refreshHeads } from '../../store/headActions.ts';
import { exportLabHead } from '../../store/headExport.ts';
import { useApp } from '../../store/index.ts';
import { downloadBlob } from '../convert/downloadBlob.ts';
import './heads.css';
import { HeadsList } from './HeadsList.tsx';
import { TrainHeadForm } from './TrainHeadForm.tsx';
import { TrainingResult } from './TrainingResult.tsx';

/** Models → Lab heads: the encoder's heads, and training a new one on the lab's own cells. */
export function LabHeadsPanel() {
  const model = useApp((s) => s.model);
  const error = useApp((s) => s.headError);
  const message = useApp((s) => s.headMessage);
  useEffect(() => void refreshHeads(), []);
  return (
    <section className="heads" aria-label="Lab heads">
      <h3>Lab heads</h3>
      {!model ? (
        <p className="muted">Load a model first: a lab head is trained on its encoder's embeddings.</p>
      ) : (
        <>
          <HeadsList onExport={(h, withEncoder) => void exportLabHead(h.id, withEncoder).then((z) => z && downloadBlob(z.blob, z.fileName))} />
          <TrainHeadForm />
          <TrainingResult />
        </>
      )}
      {error && (
        <p className="notice notice--error" role="alert" data-testid="head-error">
          {error}
        </p>
      )}
      {message && (
        <p className="notice notice--info" role="status" data-testid="head-message">
          {message}
        </p>
      )}
    </section>
  );
}
