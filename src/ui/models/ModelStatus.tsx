import { useApp } from '../../store/index.ts';
import { ModelBadge } from '../header/ModelBadge.tsx';

/** What model is active, on which backend with how many threads, and whether it is only a test model. */
export function ModelStatus() {
  const model = useApp((s) => s.model);
  const status = useApp((s) => s.modelStatus);
  const error = useApp((s) => s.modelError);
  const progress = useApp((s) => s.loadProgress);
  return (
    <div className="model-status" aria-live="polite">
      {status === 'loading' && (
        <span data-testid="model-loading">
          Loading model{progress?.file ? ` — ${progress.stage} ${progress.file}` : '…'}
          {progress?.total ? ` ${Math.round((100 * (progress.loaded ?? 0)) / progress.total)} %` : ''}
        </span>
      )}
      {model && <ModelBadge model={model} />}
      {model?.manifest.testModel && (
        <p className="notice notice--warn" role="alert" data-testid="test-model-notice">
          This is a <strong>test model with random weights</strong>: its classes are meaningless. Load a real model before looking at results.
        </p>
      )}
      {error && (
        <p className="notice notice--error" role="alert" data-testid="model-error">
          {error}
        </p>
      )}
    </div>
  );
}
