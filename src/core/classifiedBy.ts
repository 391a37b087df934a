/**
 * Which classifier (model + head) gave each cell of a case its probabilities, measured against the
 * active one: what the "classified by another model / head" notices count and what the audit entry
 * of a re-classification records as its "from". Pure: cells in, counts and labels out.
 */
import { BUNDLE_HEAD_ID, type Cell, type HeadRef } from './cell.ts';

export interface ActiveClassifier {
  modelId: string;
  head: HeadRef | null;
}

export interface CaseClassifiers {
  /** classified cells of the case */
  classified: number;
  /** classified by another model (bundle id), whatever its head */
  otherModel: number;
  /** classified by this model but another head */
  otherHead: number;
  /** "label (n), label (n)" of every classifier in the case, most cells first; names the model when the case mixes models */
  from: string;
  /** the other models, "id vX", most cells first */
  otherModels: string[];
}

/** A cell classified before lab heads existed was classified by its bundle's own head. */
const headIdOf = (h: HeadRef | null | undefined): string => h?.id ?? BUNDLE_HEAD_ID;

function headLabel(h: HeadRef | null | undefined, modelVersion: string | null): string {
  if (!h || h.id === BUNDLE_HEAD_ID) return 'bundle head';
  return `${h.name} v${h.version || modelVersion || '?'}`;
}

const modelLabel = (c: Cell): string => `${c.modelId} v${c.modelVersion ?? '?'}`;

/** Each distinct label with its count, most first (ties by name). */
function tally(labels: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

const isClassified = (c: Cell | undefined): c is Cell => c?.status === 'classified' && c.modelId !== null;

/**
 * The classified cells of another model than `modelId`: how many, and which models ("id vX", most cells
 * first). No labels are built, so the other-model notice can run it on every store change.
 */
export function otherModelsOf(cells: readonly (Cell | undefined)[], modelId: string): { count: number; models: string[] } {
  const others = cells.filter((c): c is Cell => isClassified(c) && c.modelId !== modelId);
  return { count: others.length, models: tally(others.map(modelLabel)).map(([label]) => label) };
}

export function caseClassifiers(cells: readonly Cell[], active: ActiveClassifier): CaseClassifiers {
  const done = cells.filter(isClassified);
  const others = otherModelsOf(done, active.modelId);
  const otherHead = done.filter((c) => c.modelId === active.modelId && headIdOf(c.head) !== headIdOf(active.head)).length;
  const mixed = others.count > 0;
  const labels = done.map((c) => (mixed ? `${modelLabel(c)} · ${headLabel(c.head, c.modelVersion)}` : headLabel(c.head, c.modelVersion)));
  return { classified: done.length, otherModel: others.count, otherHead, from: tally(labels).map(([l, n]) => `${l} (${n})`).join(', ') || 'none', otherModels: others.models };
}
