/**
 * Re-classifying the open case with the active classifier (model + head). Switching a model or a head
 * only changes how NEW cells are classified; bringing the case's earlier cells over is this explicit
 * action, which the audit trail records (old classifiers → new), never a side effect of switching.
 */
import { appendAudit, isLocked } from '../core/case.ts';
import { BUNDLE_HEAD_ID, type Cell } from '../core/cell.ts';
import { caseClassifiers } from '../core/classifiedBy.ts';
import { applyHead } from '../core/head.ts';
import { saveCase } from '../storage/cases.ts';
import { embeddingKey, loadEmbeddings } from '../storage/embeddings.ts';
import { haveImages, runQueue, updateCells } from './actions.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

/**
 * Re-classifies every classified cell of the open case with the active model and head: cells whose
 * embedding from this very encoder is stored get new probabilities at once; the others (another
 * model's cells among them) are queued and go through the encoder again. Reviewer classes stay.
 * One audit entry records it: `reclassify-model` when cells of another model were in the case,
 * `reclassify-head` when only the head changed.
 */
export async function reclassifyCase(): Promise<void> {
  const { model, activeCase } = get();
  if (!model?.head || !activeCase) return;
  if (isLocked(activeCase)) {
    set({ caseError: 'This case is signed and locked: unlock it (with a reason) before re-classifying it with another model or head.' });
    return;
  }
  const head = model.head;
  const cells = get().order.map((id) => get().cells[id]!).filter((c) => c.status === 'classified');
  const before = caseClassifiers(cells, { modelId: model.manifest.id, head });
  const same = cells.filter((c) => c.encoderKey === model.encoderKey);
  const vectors = await loadEmbeddings(same.map((c) => embeddingKey(model.encoderKey, c))).catch(() => same.map(() => undefined));
  const changed: Cell[] = [];
  const D = model.manifest.embeddingDim;
  const weights = activeHeadWeights();
  let recomputed = 0;
  const byId = new Map(same.map((c, i) => [c.id, vectors[i]]));
  // The stored embedding of this encoder, when the active head can be applied to it.
  const embeddingOf = (c: Cell): Float32Array | undefined => {
    const v = byId.get(c.id);
    return v && v.length === D && weights ? v : undefined;
  };
  const needEncoder = cells.filter((c) => !embeddingOf(c));
  // A cell whose image is no longer stored cannot go through the encoder again: it keeps its result.
  const present = await haveImages(needEncoder.map((c) => c.id)).catch(() => needEncoder.map(() => true));
  const kept = new Set(needEncoder.filter((_, i) => !present[i]).map((c) => c.id));
  for (const c of cells) {
    const v = embeddingOf(c);
    if (v && weights) {
      const probs = applyHead(weights, v, 1);
      changed.push({ ...c, probabilities: Array.from(probs, (p) => Math.round(p * 1e6) / 1e6), head, modelVersion: model.manifest.version });
      recomputed++;
    } else if (!kept.has(c.id)) {
      changed.push({ ...c, status: 'queued', probabilities: null });
    }
  }
  updateCells(changed);
  const keptNote = kept.size ? `; ${kept.size} kept their earlier result: their image is no longer in browser storage` : '';
  if (kept.size) {
    set({ caseError: `${kept.size} cell${kept.size === 1 ? '' : 's'} kept the earlier model's result: ${kept.size === 1 ? 'its image is' : 'their images are'} no longer in browser storage, so ${kept.size === 1 ? 'it' : 'they'} cannot be classified again.` });
  }
  const toModel = before.otherModel > 0;
  const headName = head.id === BUNDLE_HEAD_ID ? 'bundle head' : `${head.name} v${head.version}`;
  const c = appendAudit(get().activeCase!, {
    at: new Date().toISOString(),
    who: get().activeCase!.operator.trim() || 'unnamed user',
    action: toModel ? 'reclassify-model' : 'reclassify-head',
    from: before.from,
    to: toModel ? `${model.manifest.id} v${model.manifest.version} · ${headName}` : `${head.name} v${head.version}`,
    detail: `${cells.length - kept.size} cell(s) re-classified: ${recomputed} from stored embeddings, ${cells.length - kept.size - recomputed} through the encoder again; reviewer classes kept${keptNote}`,
  });
  set({ activeCase: c, cases: get().cases.map((x) => (x.id === c.id ? c : x)) });
  await saveCase(c).catch((e: Error) => set({ storageError: e.message }));
  void runQueue();
}

/** The weights of the active head: a stored lab head's, or the bundle's own (handed over by the worker at load). */
function activeHeadWeights(): { classes: string[]; inputDim: number; weight: Float32Array; bias: Float32Array } | null {
  const model = get().model;
  if (!model?.head) return null;
  if (model.head.id !== BUNDLE_HEAD_ID) {
    const entry = get().labHeads.find((h) => h.id === model.head!.id);
    return entry ? { classes: entry.classes, inputDim: entry.inputDim, weight: entry.weight, bias: entry.bias } : null;
  }
  const b = model.bundleHead;
  return b ? { classes: b.classes, inputDim: model.manifest.embeddingDim, weight: b.weight, bias: b.bias } : null;
}
