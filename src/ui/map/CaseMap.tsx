/**
 * The embedding map of the open case, in the app: the case's cells (their stored embeddings from the
 * active encoder) beside the active head's reference cells, PCA at once and UMAP on request (in its
 * worker). Selecting on the map selects the cells in the gallery; hovering shows the crop.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { BUNDLE_HEAD_ID } from '../../core/cell.ts';
import { MAP_NOTES, mapAxisLabels, pcaMap, splitPoints, stackEmbeddings, type MapLayout, type MapMethod } from '../../core/map/layout.ts';
import { folderOf } from '../../core/shift/batch.ts';
import { folderOffsets } from '../../core/shift/batchEffect.ts';
import { computeUmap } from '../../inference/umapClient.ts';
import { getCellImage } from '../../store/actions.ts';
import { caseShiftSummary } from '../../store/caseShift.ts';
import { useApp } from '../../store/index.ts';
import { embeddingKey, loadEmbeddings } from '../../storage/embeddings.ts';
import type { CellWithView } from '../useCellViews.ts';
import { EmbeddingMap, type MapCell } from './EmbeddingMap.tsx';

interface Loaded {
  ids: string[];
  embeddings: Float32Array;
  /** cells of the case the map cannot show (no stored embedding from this encoder) */
  missing: number;
  key: string;
}

/** Object URLs of hovered cells, made on first hover and kept while the map is open. */
function useThumbnails(): (id: string) => string | null {
  const urls = useRef(new Map<string, string>());
  const pending = useRef(new Set<string>());
  useEffect(() => () => {
    for (const u of urls.current.values()) URL.revokeObjectURL(u);
  }, []);
  return (id) => {
    const u = urls.current.get(id);
    if (u) return u;
    if (!pending.current.has(id)) {
      pending.current.add(id);
      void getCellImage(id).then((b) => b && urls.current.set(id, URL.createObjectURL(b)));
    }
    return null;
  };
}

export function CaseMap({ items }: { items: CellWithView[] }) {
  const model = useApp((s) => s.model);
  const selection = useApp((s) => s.selection);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [method, setMethod] = useState<MapMethod>('pca');
  const [umap, setUmap] = useState<MapLayout | null>(null);
  const [progress, setProgress] = useState<{ label: string; fraction: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const thumbnailUrl = useThumbnails();
  const stats = model?.shift?.stats ?? null;
  const classified = useMemo(() => items.filter((i) => i.cell.status === 'classified'), [items]);
  const key = `${model?.encoderKey}|${classified.map((i) => i.cell.id).join(',')}`;

  useEffect(() => {
    if (!model) return;
    let alive = true;
    const cells = classified.map((i) => i.cell);
    void loadEmbeddings(cells.map((c) => embeddingKey(model.encoderKey, c)))
      .catch(() => cells.map(() => undefined))
      .then((vectors) => {
        if (!alive) return;
        const d = model.manifest.embeddingDim;
        const ids: string[] = [];
        const rows: Float32Array[] = [];
        vectors.forEach((v, i) => {
          if (v && v.length === d) {
            ids.push(cells[i]!.id);
            rows.push(v);
          }
        });
        const embeddings = new Float32Array(ids.length * d);
        rows.forEach((r, i) => embeddings.set(r, i * d));
        setLoaded({ ids, embeddings, missing: cells.length - ids.length, key });
        setUmap(null);
      });
    return () => {
      alive = false;
    };
    // the cells' set (not their classes) decides what is loaded
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const d = model?.manifest.embeddingDim ?? 0;
  const ref = stats?.sample ?? { embeddings: new Float32Array(0), labels: new Int32Array(0) };
  const nRef = ref.labels.length;
  const pca = useMemo(() => (loaded && d ? pcaMap(loaded.embeddings, loaded.ids.length, ref.embeddings, nRef, d) : null), [loaded, d, ref.embeddings, nRef]);
  const layout = method === 'umap' && umap ? umap : pca;

  const byId = useMemo(() => new Map(items.map((i) => [i.cell.id, i])), [items]);
  const cells: MapCell[] = useMemo(() => {
    if (!loaded || !layout) return [];
    return loaded.ids.map((id, i) => {
      const it = byId.get(id);
      return {
        id,
        x: layout.casePoints[2 * i]!,
        y: layout.casePoints[2 * i + 1]!,
        className: it?.view.className ?? 'Unidentified',
        flagged: it?.cell.shift ? it.cell.shift.flagged : null,
        folder: folderOf(it?.cell.name ?? ''),
      };
    });
  }, [loaded, layout, byId]);
  const reference = useMemo(
    () => (layout && stats ? Array.from(ref.labels, (l, i) => ({ x: layout.referencePoints[2 * i]!, y: layout.referencePoints[2 * i + 1]!, className: stats.classes[l]! })) : []),
    [layout, stats, ref.labels],
  );
  const folderRows = useMemo(() => {
    if (!loaded || loaded.ids.length === 0) return [];
    const names = loaded.ids.map((id) => byId.get(id)?.cell.name ?? '');
    const summary = caseShiftSummary(
      loaded.ids.map((id) => byId.get(id)!.cell),
      model,
    );
    const offsets = stats ? folderOffsets(stats, loaded.embeddings, loaded.ids.length, names.map(folderOf)) : null;
    const folders = [...new Set(names.map(folderOf))];
    return folders.map((folder) => {
      const o = offsets?.find((x) => x.folder === folder);
      const v = summary?.folders.find((f) => f.folder === folder);
      return { folder, n: names.filter((n) => folderOf(n) === folder).length, flaggedShare: v ? v.share : null, offset: o?.offset ?? null, expected: o?.expected ?? null, shifted: v?.verdict === 'shifted' };
    });
  }, [loaded, byId, stats, model]);

  const runUmap = (): void => {
    if (!loaded || !d) return;
    const ctl = new AbortController();
    abort.current = ctl;
    const n = loaded.ids.length;
    const all = stackEmbeddings(loaded.embeddings, n, ref.embeddings, nRef, d);
    setError(null);
    setProgress({ label: 'UMAP: starting', fraction: 0 });
    computeUmap(all, n + nRef, d, { seed: 1 }, { signal: ctl.signal, onProgress: (p) => setProgress({ label: `UMAP: ${p.stage}`, fraction: p.stage === 'layout' ? p.done / p.total : 0 }) })
      .then((pts) => setUmap({ method: 'umap', ...splitPoints(pts, n), axes: mapAxisLabels('umap'), note: MAP_NOTES.umap }))
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(`UMAP failed: ${(e as Error).message}`);
        setMethod('pca');
      })
      .finally(() => setProgress(null));
  };

  if (!model) return null;
  const selectedIds = new Set(selection);
  return (
    <div className="casemap" data-testid="case-map">
      <h2>Embedding map</h2>
      <p className="muted small">
        Each dot is a cell of this case, placed by its {model.manifest.name} embedding; grey dots are the{' '}
        {model.head?.id === BUNDLE_HEAD_ID ? "model's" : "head's"} reference cells
        {stats ? ` (${nRef} training cells)` : ' (none: shift checks are off for this head)'}. Cells far from every reference cluster are unlike what the model has
        seen. Click or lasso dots to select those cells in the gallery.
        {loaded && loaded.missing > 0 ? ` ${loaded.missing} cell(s) classified by another encoder are not shown.` : ''}
      </p>
      {error && <p className="notice notice--error">{error}</p>}
      {!loaded || !layout ? (
        <p className="muted">Computing the map…</p>
      ) : loaded.ids.length === 0 ? (
        <p className="muted">No cell of this case has an embedding from the active encoder yet.</p>
      ) : (
        <EmbeddingMap
          cells={cells}
          reference={reference}
          axes={layout.axes}
          note={layout.note}
          method={method}
          onMethodChange={(m) => {
            setMethod(m);
            if (m === 'umap' && !umap && !progress) runUmap();
          }}
          progress={progress}
          onCancel={() => abort.current?.abort()}
          classOrder={model.classes}
          thumbnailUrl={thumbnailUrl}
          selectedIds={selectedIds}
          onSelect={(ids) => useApp.setState({ selection: ids, selectedId: ids.at(-1) ?? null })}
          folderRows={folderRows}
        />
      )}
    </div>
  );
}
