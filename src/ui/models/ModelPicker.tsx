import { BUILTIN_MODELS, builtinUrl, DEFAULT_MODEL_ID } from '../../config.ts';
import { loadModel } from '../../store/actions.ts';
import { useApp } from '../../store/index.ts';

const OFFICIAL = [
  { name: 'DinoBloom-S', size: 's', params: '22 M', file: 'DinoBloom-S.pth' },
  { name: 'DinoBloom-B', size: 'b', params: '86 M', file: 'DinoBloom-B.pth' },
];

/** Built-in models, DinoBloom models that need the official weights (with the exact steps), and loading a bundle folder. */
export function ModelPicker() {
  const active = useApp((s) => s.model?.manifest.id);
  const onFolder = (list: FileList | null): void => {
    const files: Record<string, Blob> = {};
    for (const f of [...(list ?? [])]) files[f.name] = f;
    void loadModel({ kind: 'files', files });
  };
  return (
    <details className="models">
      <summary>Models</summary>
      <ul>
        {BUILTIN_MODELS.map((m) => (
          <li key={m.id}>
            <button type="button" disabled={active === m.id} onClick={() => void loadModel({ kind: 'url', baseUrl: builtinUrl(m) })}>
              {active === m.id ? 'Active: ' : 'Use '}
              {m.id}
            </button>
            {m.id === DEFAULT_MODEL_ID && <span className="muted"> (built-in default: compact CNN trained on PBC, not DinoBloom)</span>}
            {m.id === 'test-tiny-dinov2' && <span className="muted"> (random weights, for tests only)</span>}
          </li>
        ))}
        {OFFICIAL.map((m) => (
          <li key={m.name}>
            <strong>{m.name}</strong> ({m.params} parameters) — <em>needs the official weights</em>
            <ol className="steps">
              <li>
                Download <code>{m.file}</code> from Zenodo record 10908163 (or <code>pytorch_model_{m.size}.bin</code> from Hugging Face{' '}
                <code>MarrLab/DinoBloom</code>, or the timm port <code>1aurent/vit_{m.size === 's' ? 'small' : 'base'}_patch14_224.dinobloom</code>).
              </li>
              <li>
                <code>npm run convert -- {m.file} --out bundles/dinobloom-{m.size}</code> (verifies the ONNX files against PyTorch)
              </li>
              <li>
                <code>npm run embed -- --bundle bundles/dinobloom-{m.size} --data &lt;your labelled crops&gt; --out emb-{m.size}.bin</code>, then{' '}
                <code>npm run train-head -- --embeddings emb-{m.size}.bin --out bundles/dinobloom-{m.size}</code>
              </li>
              <li>Load the bundle folder below.</li>
            </ol>
          </li>
        ))}
      </ul>
      <label className="button button--secondary">
        Load a bundle folder…
        <input
          type="file"
          multiple
          // @ts-expect-error non-standard but universally supported folder picker
          webkitdirectory=""
          onChange={(e) => {
            onFolder(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
      </label>
    </details>
  );
}
