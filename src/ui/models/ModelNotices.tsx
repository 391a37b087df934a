import { trainLabHead } from '../../store/headTraining.ts';
import { useApp } from '../../store/index.ts';
import { OtherModelNotice } from './OtherModelNotice.tsx';

/**
 * Model problems shown at the top of the page, where the user is looking: a model link (?model=) or
 * an import that failed, an encoder that has no head yet, and an open case classified partly by another
 * model. The Models panel may well be closed.
 */
export function ModelNotices() {
  const importError = useApp((s) => s.importError);
  const model = useApp((s) => s.model);
  const waiting = useApp((s) => s.queuedCount);
  const training = useApp((s) => s.headJob !== null);
  return (
    <>
      {importError && (
        <p className="notice notice--error" role="alert" data-testid="model-notice">
          {importError}{' '}
          <button type="button" onClick={() => useApp.setState({ importError: null })}>
            Dismiss
          </button>
        </p>
      )}
      {model && !model.head && (
        <p className="notice notice--warn" role="status" data-testid="no-head-notice">
          “{model.manifest.name}” has no classification head yet{waiting > 0 ? `, so ${waiting} cell${waiting === 1 ? '' : 's'} wait` : ''}: train one in
          Models → Lab heads (from your lab's labelled cells or the built-in reference set).{' '}
          <button
            type="button"
            disabled={training}
            onClick={() => {
              // the result (k-fold figures, "Use this head") is shown in the Lab heads panel
              useApp.setState({ modelsPanelOpen: true });
              void trainLabHead({ referenceSet: true, name: 'Reference set head (PBC, 8 classes)' });
            }}
          >
            {training ? 'Training a head…' : 'Train a head on the reference set'}
          </button>
        </p>
      )}
      <OtherModelNotice />
    </>
  );
}
