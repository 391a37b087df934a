import { useMemo, useState } from 'react';
import { suggestClassNames } from '../../core/training/index.ts';
import { cancelHeadTraining, previewFolder, trainLabHead } from '../../store/headTraining.ts';
import { useApp } from '../../store/index.ts';
import { collectDroppedWithSkipped } from '../drop/collectFiles.ts';
import { FilePickerButton } from '../FilePickerButton.tsx';
import { useDropTarget } from '../drop/useDropTarget.ts';

type FolderFile = { path: string; file: Blob };

function fromDirectoryInput(list: FileList): FolderFile[] {
  // keep hidden/system files: the folder reader counts them as skipped, so every file is accounted for
  return [...list].map((file) => ({ file, path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name }));
}

const pct = (v: number) => `${(100 * v).toFixed(0)} %`;

/** Sources (labelled folder, signed cases, embeddings files), class names, folds, name → Train head. */
export function TrainHeadForm() {
  const model = useApp((s) => s.model);
  const cases = useApp((s) => s.cases);
  const job = useApp((s) => s.headJob);
  const [folder, setFolder] = useState<FolderFile[]>([]);
  const [caseIds, setCaseIds] = useState<string[]>([]);
  const [embFiles, setEmbFiles] = useState<File[]>([]);
  const [referenceSet, setReferenceSet] = useState(false);
  const [names, setNames] = useState<Record<string, string>>({});
  const [folds, setFolds] = useState(5);
  const [name, setName] = useState('');
  // Entries the browser could not read (removed or locked meanwhile) are named; the rest is listed.
  const [unreadable, setUnreadable] = useState<{ name: string; message: string }[]>([]);
  const drop = useDropTarget(
    (dt) =>
      void collectDroppedWithSkipped(dt).then((c) => {
        setUnreadable(c.unreadable);
        setFolderFiles(c.files.map((f) => ({ path: f.path, file: f.file })));
      }),
  );
  const listing = useMemo(() => (folder.length ? previewFolder(folder) : null), [folder]);
  const suggestions = useMemo(() => (listing && model ? suggestClassNames(listing.classes.map((c) => c.name), model.classes) : []), [listing, model]);
  const signed = cases.filter((c) => c.status === 'signed');
  if (!model) return null;

  const setFolderFiles = (files: FolderFile[]): void => {
    setFolder(files);
    // offer the encoder's spelling of a class ("Neutrophil" → "neutrophil"); the lab can keep its own
    const l = files.length ? previewFolder(files) : null;
    const offered: Record<string, string> = {};
    if (l) for (const s of suggestClassNames(l.classes.map((c) => c.name), model.classes)) if (s.suggestion) offered[s.folder] = s.suggestion;
    setNames(offered);
  };
  const hasSource = folder.length > 0 || caseIds.length > 0 || embFiles.length > 0 || referenceSet;

  return (
    <form
      className="heads__train"
      onSubmit={(e) => {
        e.preventDefault();
        void trainLabHead({ folder, caseIds, embeddingFiles: embFiles, classNames: names, folds, name, referenceSet });
      }}
    >
      <h4>Train a head on your lab's cells</h4>
      <p className="muted small">
        The encoder stays as it is (frozen); a linear head — multinomial logistic regression, as in the DinoBloom paper — is trained on its
        embeddings of your labelled cells, and evaluated by {folds}-fold cross-validation. Nothing leaves this computer.
      </p>
      <div
        className={`heads__drop${drop.over ? ' dropzone--over' : ''}`}
        {...drop.handlers}
      >
        <FilePickerButton label="Labelled folder for training" folder secondary onFiles={(l) => (setUnreadable([]), setFolderFiles(fromDirectoryInput(l)))} />
        <span className="muted small"> or drop it here: one sub-folder per class (e.g. neutrophil/, blast/, smudge/). JPEG, PNG, BMP, GIF, WebP, AVIF.</span>
        {unreadable.length > 0 && (
          <p className="notice notice--warn small" role="status" data-testid="training-unreadable">
            {unreadable.length === 1 ? '1 dropped entry' : `${unreadable.length} dropped entries`} could not be read and {unreadable.length === 1 ? 'is' : 'are'} not
            in the training set: {unreadable.slice(0, 3).map((u) => `${u.name} (${u.message})`).join('; ')}
            {unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : ''}.
          </p>
        )}
        {listing && (
          <div className="heads__listing" data-testid="training-folder">
            <p>
              <strong>{listing.files.length}</strong> image{listing.files.length === 1 ? '' : 's'} in <strong>{listing.classes.length}</strong> class
              {listing.classes.length === 1 ? '' : 'es'}
              {listing.root ? ` from "${listing.root}"` : ''}
              {listing.skipped.length + listing.hidden > 0 ? ` · ${listing.skipped.length + listing.hidden} file(s) skipped` : ''}{' '}
              <button type="button" onClick={() => (setUnreadable([]), setFolderFiles([]))}>
                Remove folder
              </button>
            </p>
            {listing.messages.length > 0 && (
              <ul className="small">
                {listing.messages.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
            {listing.skipped.length > 0 && (
              <details className="small">
                <summary>Skipped files ({listing.skipped.length})</summary>
                <ul>
                  {listing.skipped.map((s) => (
                    <li key={s.index}>
                      {s.path}: {s.message}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <table className="heads__classes">
              <caption className="small">Class names (folder → class of the new head)</caption>
              <thead>
                <tr>
                  <th scope="col">Folder</th>
                  <th scope="col">Cells</th>
                  <th scope="col">Class</th>
                </tr>
              </thead>
              <tbody>
                {listing.classes.map((c) => {
                  const s = suggestions.find((x) => x.folder === c.name);
                  const value = names[c.name] ?? c.name;
                  return (
                    <tr key={c.name}>
                      <th scope="row">{c.name}</th>
                      <td className={c.count < 5 ? 'heads__few' : ''}>
                        {c.count}
                        {c.count < 5 ? ' (few)' : ''}
                      </td>
                      <td>
                        <select aria-label={`Class for folder ${c.name}`} value={value} onChange={(e) => setNames({ ...names, [c.name]: e.target.value })}>
                          <option value={c.name}>{s?.isNew && !s.suggestion ? `${c.name} (new class)` : c.name}</option>
                          {s?.suggestion && <option value={s.suggestion}>{s.suggestion} (the model's class)</option>}
                          {model.classes
                            .filter((m) => m !== c.name && m !== s?.suggestion)
                            .map((m) => (
                              <option key={m} value={m}>
                                merge into {m}
                              </option>
                            ))}
                          <option value="">leave out</option>
                        </select>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <label className="inline heads__reference">
        <input type="checkbox" checked={referenceSet} onChange={(e) => setReferenceSet(e.target.checked)} /> Add the built-in reference set
        <span className="muted small">
          {' '}
          — 24 PBC crops per class, 8 classes, downloaded when training starts (Acevedo et al. 2020, CC BY 4.0): a first head for an encoder
          that has none; your own cells adapt it to your lab.
        </span>
      </label>
      {signed.length > 0 && (
        <fieldset className="heads__cases">
          <legend>Verified cells of signed cases</legend>
          {signed.map((c) => (
            <label key={c.id} className="inline">
              <input
                type="checkbox"
                checked={caseIds.includes(c.id)}
                onChange={(e) => setCaseIds(e.target.checked ? [...caseIds, c.id] : caseIds.filter((x) => x !== c.id))}
              />{' '}
              {c.sampleId || '(no sample ID)'} <span className="muted small">signed by {c.signedBy} {c.signedAt ? new Date(c.signedAt).toLocaleDateString() : ''}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="heads__row">
        <FilePickerButton label="Embeddings file (.emb)" accept=".emb" multiple secondary onFiles={(l) => setEmbFiles([...l])} />
        {embFiles.length > 0 && (
          <span className="small">
            {embFiles.map((f) => f.name).join(', ')}{' '}
            <button type="button" onClick={() => setEmbFiles([])}>
              Remove
            </button>
          </span>
        )}
        <span className="muted small">written by <code>npm run embed</code> with this encoder</span>
      </div>
      <div className="heads__row">
        <label>
          Folds
          <select value={folds} onChange={(e) => setFolds(Number(e.target.value))}>
            {[3, 5, 10].map((k) => (
              <option key={k} value={k}>
                {k}-fold
              </option>
            ))}
          </select>
        </label>
        <label>
          Name of the head
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={`Lab head ${new Date().toISOString().slice(0, 10)}`} />
        </label>
      </div>
      <div className="heads__row">
        <button type="submit" disabled={!hasSource || job !== null}>
          Train head
        </button>
        {job && (
          <>
            <span role="status" aria-live="polite" data-testid="head-job">
              {job.stage === 'collect' && (job.detail ? `${job.detail[0]!.toUpperCase()}${job.detail.slice(1)}: ${job.done} of ${job.total} files` : 'Reading the training cells…')}
              {job.stage === 'embed' &&
                `Embedding ${job.done} of ${job.total} cells${job.cellsPerSecond ? ` · ${job.cellsPerSecond.toFixed(1)} cells/s` : ''}${job.etaSeconds ? ` · about ${Math.ceil(job.etaSeconds)} s left` : ''}`}
              {job.stage === 'train' && `Training: ${job.detail ?? ''} (${pct(job.done)})`}
            </span>
            <progress max={job.total || 1} value={job.done} aria-label="Head training progress" />
            <button type="button" onClick={() => cancelHeadTraining()}>
              Cancel training
            </button>
          </>
        )}
      </div>
    </form>
  );
}
