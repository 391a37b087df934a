import { CONVERT_STAGES, type ConvertStage } from '../../inference/convertTypes.ts';
import { cancelConversion, convertCheckpointFile } from '../../store/convertActions.ts';
import { trainLabHead } from '../../store/headTraining.ts';
import { activate } from '../../store/modelActions.ts';
import { useApp } from '../../store/index.ts';
import { FilePickerButton } from '../FilePickerButton.tsx';
import './convert.css';
import { useDropTarget } from '../drop/useDropTarget.ts';

const STAGE_LABEL: Record<ConvertStage, string> = {
  read: 'Read',
  build: 'Build',
  quantize: 'Quantize',
  verify: 'Verify',
  store: 'Store',
};

/** Models panel: drop or pick the official DinoBloom weights; they become a verified bundle in this browser. */
export function CheckpointConvert() {
  const converting = useApp((s) => s.converting);
  const error = useApp((s) => s.convertError);
  const message = useApp((s) => s.convertMessage);
  const report = useApp((s) => s.convertReport);
  const convertedId = useApp((s) => s.convertedId);
  const activeId = useApp((s) => s.model?.manifest.id);
  const training = useApp((s) => s.headJob !== null);
  const drop = useDropTarget((dt) => {
    if (!converting) start(dt.files[0]);
  });
  const start = (f: File | undefined): void => {
    if (f) void convertCheckpointFile(f);
  };
  const current = converting ? CONVERT_STAGES.indexOf(converting.stage) : -1;

  return (
    <section className="checkpoint-convert" aria-labelledby="checkpoint-convert-title" data-testid="checkpoint-convert">
      <h3 id="checkpoint-convert-title">DinoBloom from the official weights</h3>
      <div
        className={`bundle-drop${drop.over ? ' dropzone--over' : ''}`}
        {...drop.handlers}
      >
        <p className="muted">
          Drop <code>DinoBloom-S.pth</code> / <code>-B.pth</code> (Zenodo), <code>pytorch_model_s.bin</code> / <code>_b.bin</code> (Hugging Face) or a
          timm <code>model.safetensors</code> here: it is converted to fp32 and int8 encoders and verified in this browser. Nothing is uploaded.
        </p>
        <div className="dropzone__inputs">
          <FilePickerButton label="DinoBloom checkpoint (.pth, .bin, .safetensors)" accept=".pth,.bin,.safetensors,.pt" secondary onFiles={(f) => !converting && start(f[0])} />
        </div>
      </div>
      {converting && (
        <div aria-live="polite" data-testid="convert-progress">
          <p>
            Converting <strong>{converting.file}</strong>
            {converting.detail ? <span className="muted"> · {converting.detail}</span> : null}{' '}
            {converting.stage !== 'store' && (
              <button type="button" onClick={cancelConversion}>
                Cancel
              </button>
            )}
          </p>
          <ol className="convert-stages">
            {CONVERT_STAGES.map((s, i) => (
              <li key={s} data-stage={s} aria-current={i === current ? 'step' : undefined} className={i < current ? 'done' : i === current ? 'current' : ''}>
                {STAGE_LABEL[s]}
                {i === current && <progress max={1} value={converting.fraction} aria-label={`${STAGE_LABEL[s]} progress`} />}
                {i < current && ' ✓'}
              </li>
            ))}
          </ol>
        </div>
      )}
      {error && (
        <p className="notice notice--error" role="alert" data-testid="convert-error">
          {error}
        </p>
      )}
      {message && (
        <p className="notice" role="status" data-testid="convert-message">
          {message}
        </p>
      )}
      {message && convertedId && activeId !== convertedId && (
        <p>
          <button
            type="button"
            disabled={training}
            onClick={() =>
              void activate({ kind: 'imported', id: convertedId }).then((ok) => {
                // a converted encoder has no head: give it one from the built-in reference set (k-fold figures below)
                if (ok) void trainLabHead({ referenceSet: true, name: 'Reference set head (PBC, 8 classes)' });
              })
            }
          >
            Use it and train a head on the reference set
          </button>
        </p>
      )}
      {message && report && (
        <p className="muted" data-testid="convert-timings" title={report.verifyDetail}>
          {CONVERT_STAGES.filter((s) => report.timings[s] !== undefined)
            .map((s) => `${STAGE_LABEL[s]} ${(report.timings[s]! / 1000).toFixed(1)} s`)
            .join(' · ')}
          {report.fp16Skipped ? ` · no fp16 variant: ${report.fp16Skipped}` : ''}
        </p>
      )}
    </section>
  );
}
