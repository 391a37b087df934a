/**
 * Development harness for the embedding map and the shift banner (not part of the app build: only
 * e2e/harness/ imports it). It loads the default bundle's reference statistics, makes a synthetic
 * case of `?n=` cells around the reference cells (a fifth of them moved away, as another lab's cells
 * would be), scores them with the real scorer, lays them out with PCA at once and, on request, with
 * UMAP in its worker — the same calls the app makes — and records what the e2e spec reads in
 * `window.__mapHarness`.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { DEFAULT_MODEL_ID } from '../../../config.ts';
import { pcaMap, MAP_NOTES, mapAxisLabels, splitPoints, stackEmbeddings, type MapLayout, type MapMethod } from '../../../core/map/layout.ts';
import { folderOf, summarizeCaseShift } from '../../../core/shift/batch.ts';
import { folderOffsets } from '../../../core/shift/batchEffect.ts';
import { parseShiftStatsText } from '../../../core/shift/format.ts';
import { mulberry32 } from '../../../core/shift/random.ts';
import { createShiftScorer } from '../../../core/shift/score.ts';
import type { ShiftStats } from '../../../core/shift/stats.ts';
import { computeUmap } from '../../../inference/umapClient.ts';
import { ShiftBanner } from '../../shift/ShiftBanner.tsx';
import { EmbeddingMap, type MapCell } from '../EmbeddingMap.tsx';
import '../../../../e2e/harness/harnessGlobals.ts';

interface Case {
  stats: ShiftStats;
  names: string[];
  embeddings: Float32Array;
  classNames: string[];
  flags: boolean[];
  scores: number[];
}

function makeCase(stats: ShiftStats, n: number): Case {
  const d = stats.embeddingDim;
  const rand = mulberry32(7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const m = stats.sample.labels.length;
  const shiftDir = Float32Array.from({ length: d }, () => gauss());
  const embeddings = new Float32Array(n * d);
  const names: string[] = [];
  const classNames: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(rand() * m);
    const other = i % 5 === 4;
    for (let j = 0; j < d; j++) {
      const v = stats.sample.embeddings[r * d + j]!;
      embeddings[i * d + j] = v + 0.05 * Math.abs(v) * gauss() + (other ? 0.6 * shiftDir[j]! : 0);
    }
    names.push(`${other ? 'other-lab' : i % 2 ? 'slide-1' : 'slide-2'}/cell_${i}.jpg`);
    classNames.push(stats.classes[stats.sample.labels[r]!]!);
  }
  const assessed = createShiftScorer(stats).assess(embeddings, n);
  return {
    stats, names, embeddings, classNames,
    flags: assessed.map((a) => a.ok && a.flagged),
    scores: assessed.map((a) => (a.ok ? a.score : NaN)),
  };
}

function thumbnails(classes: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const colours = ['#6d4c8d', '#d98c7a', '#9c4f6a', '#5b6fa8', '#7a9e6b', '#c0a060', '#8a5c9e', '#b07070'];
  classes.forEach((c, i) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 96;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#f4e6e0';
    ctx.fillRect(0, 0, 96, 96);
    ctx.fillStyle = colours[i % colours.length]!;
    ctx.beginPath();
    ctx.arc(48, 48, 30, 0, 2 * Math.PI);
    ctx.fill();
    out.set(c, canvas.toDataURL('image/png'));
  });
  return out;
}

export function MapHarness() {
  const params = new URLSearchParams(location.search);
  const n = Number(params.get('n') ?? 5000);
  const [data, setData] = useState<Case | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [method, setMethod] = useState<MapMethod>('pca');
  const [layouts, setLayouts] = useState<Partial<Record<MapMethod, MapLayout>>>({});
  const [progress, setProgress] = useState<{ label: string; fraction: number } | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    window.__mapHarness = { ready: false, selected: [], cells: n };
    fetch(`models/${DEFAULT_MODEL_ID}/shift.json`)
      .then((r) => r.text())
      .then((t) => {
        const stats = parseShiftStatsText(t);
        const c = makeCase(stats, n);
        const t0 = performance.now();
        const pca = pcaMap(c.embeddings, n, stats.sample.embeddings, stats.sample.labels.length, stats.embeddingDim);
        window.__mapHarness!.pcaMs = performance.now() - t0;
        setData(c);
        setLayouts({ pca });
      })
      .catch((e: unknown) => setError(String(e)));
  }, [n]);

  const thumbs = useMemo(() => (data ? thumbnails(data.stats.classes) : new Map<string, string>()), [data]);
  const summary = useMemo(() => (data ? summarizeCaseShift(data.names.map((name, i) => ({ folder: folderOf(name), flagged: data.flags[i]! })), data.stats.expectedFlagRate) : null), [data]);
  const folderRows = useMemo(() => {
    if (!data || !summary) return [];
    const offsets = folderOffsets(data.stats, data.embeddings, data.names.length, data.names.map(folderOf));
    return offsets.map((o) => {
      const v = summary.folders.find((f) => f.folder === o.folder)!;
      return { folder: o.folder, n: o.n, flaggedShare: v.share, offset: o.offset, expected: o.expected, shifted: v.verdict === 'shifted' };
    });
  }, [data, summary]);

  const runUmap = () => {
    if (!data) return;
    const ctl = new AbortController();
    abort.current = ctl;
    const d = data.stats.embeddingDim;
    const m = data.stats.sample.labels.length;
    const all = stackEmbeddings(data.embeddings, n, data.stats.sample.embeddings, m, d);
    const t0 = performance.now();
    setProgress({ label: 'UMAP: starting', fraction: 0 });
    computeUmap(all, n + m, d, { seed: 1 }, { signal: ctl.signal, onProgress: (p) => setProgress({ label: `UMAP: ${p.stage}`, fraction: p.stage === 'layout' ? p.done / p.total : 0 }) })
      .then((pts) => {
        window.__mapHarness!.umapMs = performance.now() - t0;
        setLayouts((l) => ({ ...l, umap: { method: 'umap', ...splitPoints(pts, n), axes: mapAxisLabels('umap'), note: MAP_NOTES.umap } }));
      })
      .catch((e: unknown) => {
        window.__mapHarness!.umapError = (e as Error).name;
        setMethod('pca');
      })
      .finally(() => setProgress(null));
  };

  // while UMAP is computed the PCA layout stays on screen
  const layout = layouts[method] ?? layouts.pca;
  const cells: MapCell[] = useMemo(() => {
    if (!data || !layout) return [];
    return data.names.map((name, i) => ({ id: `c${i}`, x: layout.casePoints[2 * i]!, y: layout.casePoints[2 * i + 1]!, className: data.classNames[i]!, flagged: data.flags[i]!, folder: folderOf(name) }));
  }, [data, layout]);
  const reference = useMemo(() => {
    if (!data || !layout) return [];
    return Array.from(data.stats.sample.labels, (l, i) => ({ x: layout.referencePoints[2 * i]!, y: layout.referencePoints[2 * i + 1]!, className: data.stats.classes[l]! }));
  }, [data, layout]);

  useEffect(() => {
    if (data && layout && window.__mapHarness) window.__mapHarness.ready = true;
  }, [data, layout]);

  if (error) return <p role="alert">{error}</p>;
  if (!data || !summary) return <p>Loading…</p>;
  return (
    <main>
      <h1>Embedding map harness</h1>
      <ShiftBanner summary={summary} modelName="PBC compact CNN" />
      <EmbeddingMap
        cells={cells}
        reference={reference}
        axes={layout!.axes}
        note={layout!.note}
        method={method}
        onMethodChange={(m) => {
          setMethod(m);
          if (m === 'umap' && !layouts.umap && !progress) runUmap();
        }}
        progress={progress}
        onCancel={() => abort.current?.abort()}
        classOrder={data.stats.classes}
        thumbnailUrl={(id) => thumbs.get(data.classNames[Number(id.slice(1))]!) ?? null}
        selectedIds={selected}
        onSelect={(ids) => {
          window.__mapHarness!.selected = ids;
          setSelected(new Set(ids));
        }}
        folderRows={folderRows}
      />
    </main>
  );
}
