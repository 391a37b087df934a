import { useEffect, useState } from 'react';
import { BUILTIN_MODELS } from '../../config.ts';
import { activate, importBundle, removeBundle } from '../../store/modelActions.ts';
import { exportBundle } from '../../store/convertActions.ts';
import { useApp } from '../../store/index.ts';
import { formatBytes } from '../../storage/quota.ts';
import { BuiltinModelFacts } from '../modelCard/BuiltinModelFacts.tsx';
import { FilePickerButton } from '../FilePickerButton.tsx';
import { CheckpointConvert } from '../convert/CheckpointConvert.tsx';
import { downloadBlob } from '../convert/downloadBlob.ts';
import { LabHeadsPanel } from '../heads/LabHeadsPanel.tsx';
import { OfficialWeightsSteps } from './OfficialWeightsSteps.tsx';
import { StoragePanel } from './StoragePanel.tsx';
import { useDropTarget } from '../drop/useDropTarget.ts';

function folderFiles(list: FileList): Record<string, Blob> {
  const files: Record<string, Blob> = {};
  for (const f of [...list]) files[f.name] = f;
  return files;
}

/** Built-in and imported models: switch, delete, import (folder, .zip, URL), storage. */
export function ModelManager() {
  const activeId = useApp((s) => s.model?.manifest.id);
  const installed = useApp((s) => s.installed);
  const importing = useApp((s) => s.importing);
  const importError = useApp((s) => s.importError);
  const importMessage = useApp((s) => s.importMessage);
  const exporting = useApp((s) => s.exporting);
  const exportError = useApp((s) => s.exportError);
  const panelOpen = useApp((s) => s.modelsPanelOpen);
  const [url, setUrl] = useState('');
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const drop = useDropTarget((dt) => {
    const files = [...dt.files];
    const zip = files.find((f) => f.name.toLowerCase().endsWith('.zip'));
    if (zip) void importBundle({ kind: 'zip', zip, name: zip.name });
    else void importBundle({ kind: 'files', files: Object.fromEntries(files.map((f) => [f.name, f])) });
  });
  useEffect(() => setConfirmDelete(null), [installed]);

  return (
    <details
      className="models"
      data-testid="model-manager"
      open={panelOpen}
      onToggle={(e) => {
        const open = (e.currentTarget as HTMLDetailsElement).open;
        if (open !== useApp.getState().modelsPanelOpen) useApp.setState({ modelsPanelOpen: open });
      }}
    >
      <summary>Models</summary>
      <h3>Built in</h3>
      <ul>
        {BUILTIN_MODELS.map((m) => (
          <li key={m.id}>
            <button type="button" disabled={activeId === m.id} onClick={() => void activate({ kind: 'builtin', id: m.id })}>
              {activeId === m.id ? 'Active: ' : 'Use '}
              {m.id}
            </button>
            <span className="muted"> ({m.note})</span>
            <BuiltinModelFacts model={m} />
          </li>
        ))}
      </ul>
      <h3>Imported</h3>
      {installed.length === 0 && <p className="muted">None yet.</p>}
      <ul data-testid="imported-models">
        {installed.map((b) => (
          <li key={b.id} data-model-id={b.id}>
            <strong>{b.manifest.name}</strong> v{b.manifest.version} · {formatBytes(b.bytes)} ·{' '}
            {b.manifest.encoder.variants.map((v) => `${v.precision} (${v.backends.join('/')})`).join(', ')} · from {b.origin}
            {b.sourceUrl ? ` ${b.sourceUrl}` : ''}{' '}
            <button type="button" disabled={activeId === b.id} onClick={() => void activate({ kind: 'imported', id: b.id })}>
              {activeId === b.id ? 'Active' : `Use ${b.id}`}
            </button>{' '}
            <button type="button" disabled={exporting !== null} onClick={() => void exportBundle(b.id).then((z) => z && downloadBlob(z.blob, z.fileName))}>
              {exporting === b.id ? 'Exporting…' : 'Export bundle'}
            </button>{' '}
            {confirmDelete === b.id ? (
              <>
                <button type="button" className="button--danger" onClick={() => void removeBundle(b.id)}>
                  Delete {b.id} for good
                </button>{' '}
                <button type="button" onClick={() => setConfirmDelete(null)}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" onClick={() => setConfirmDelete(b.id)}>
                Delete {b.id}
              </button>
            )}
          </li>
        ))}
      </ul>
      {exportError && (
        <p className="notice notice--error" role="alert" data-testid="export-error">
          {exportError}
        </p>
      )}
      <CheckpointConvert />
      <LabHeadsPanel />
      <h3>Import a bundle</h3>
      <div
        className={`bundle-drop${drop.over ? ' dropzone--over' : ''}`}
        {...drop.handlers}
      >
        Drop a bundle's files or its .zip here, or:
        <div className="dropzone__inputs">
          <FilePickerButton label="Import bundle folder…" folder secondary onFiles={(f) => void importBundle({ kind: 'files', files: folderFiles(f) })} />
          <FilePickerButton
            label="Import .zip…"
            accept=".zip,application/zip"
            secondary
            onFiles={(f) => {
              const zip = f[0];
              if (zip) void importBundle({ kind: 'zip', zip, name: zip.name });
            }}
          />
        </div>
        <form
          className="url-import"
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim()) void importBundle({ kind: 'url', manifestUrl: new URL(url.trim(), location.href).href });
          }}
        >
          <label>
            Bundle URL (its manifest.json)
            <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://intranet.example/models/dinobloom-s/manifest.json" />
          </label>
          <button type="submit" disabled={!url.trim() || importing !== null}>
            Import from URL
          </button>
        </form>
      </div>
      {importing && (
        <p aria-live="polite" data-testid="import-progress">
          Importing{importing.progress?.file ? ` ${importing.progress.file}` : ''}…
          {importing.progress?.total ? (
            <progress max={importing.progress.total} value={importing.progress.loaded ?? 0} aria-label="Model download" />
          ) : null}
        </p>
      )}
      {importError && (
        <p className="notice notice--error" role="alert" data-testid="import-error">
          {importError}
        </p>
      )}
      {importMessage && <p data-testid="import-message">{importMessage}</p>}
      <OfficialWeightsSteps />
      <StoragePanel />
    </details>
  );
}
