const OFFICIAL = [
  { name: 'DinoBloom-S', size: 's', params: '22 M', file: 'DinoBloom-S.pth' },
  { name: 'DinoBloom-B', size: 'b', params: '86 M', file: 'DinoBloom-B.pth' },
];

/** DinoBloom models cannot ship with the app: these are the exact steps to bring them in. */
export function OfficialWeightsSteps() {
  return (
    <>
      <h3>DinoBloom (needs the official weights)</h3>
      <ul data-testid="official-models">
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
                <code>npm run embed -- --bundle bundles/dinobloom-{m.size} --data &lt;labelled crops&gt; --out emb-{m.size}.bin</code>, then{' '}
                <code>npm run train-head -- --embeddings emb-{m.size}.bin --out bundles/dinobloom-{m.size}</code>
              </li>
              <li>Import the bundle folder (or a .zip of it) above.</li>
            </ol>
          </li>
        ))}
      </ul>
    </>
  );
}
