/**
 * One training set from several sources — a labelled folder, the verified cells of signed cases,
 * an embeddings file from `npm run embed` — with the summary a lab head keeps (cells per class, per
 * source). All sources must come from the active encoder: another embedding size or another bundle
 * is refused (with both), another precision of the same bundle (int8 vs fp32) is accepted with a note.
 * The same image twice (same sha256) is kept once, so that it cannot sit in a training fold and in
 * the test fold at the same time and flatter the k-fold figures.
 */
import type { Cell } from '../cell.ts';
import { topK } from '../head.ts';
import { TrainingInputError } from './errors.ts';

export type TrainingSourceKind = 'folder' | 'cases' | 'embeddings-file';

export interface EncoderIdentity {
  bundleId: string;
  /** sha256 of the encoder variant the embeddings came from */
  encoderSha256?: string;
  dim: number;
}

export interface TrainingSource {
  kind: TrainingSourceKind;
  /** what the lab calls it: the folder's name, "3 signed cases", the file's name */
  name: string;
  encoder: EncoderIdentity;
  classes: string[];
  /** per cell, index into classes */
  labels: Int32Array;
  /** n × dim */
  embeddings: Float32Array;
  /** per cell, sha256 of the image file (for duplicate removal), when known */
  imageHashes?: readonly (string | null | undefined)[];
}

export interface TrainingSetSummary {
  total: number;
  classes: { name: string; count: number; bySource: number[] }[];
  sources: { kind: TrainingSourceKind; name: string; count: number; duplicates: number }[];
  duplicatesDropped: number;
}

export interface AssembledTrainingSet {
  classes: string[];
  embeddings: Float32Array;
  labels: Int32Array;
  dim: number;
  summary: TrainingSetSummary;
  messages: string[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Combine sources. Class order: the encoder's own classes first, in its order (`knownClasses`),
 * then the new ones by name.
 */
export function assembleTrainingSet(sources: TrainingSource[], active: EncoderIdentity, knownClasses: string[] = []): AssembledTrainingSet {
  const messages: string[] = [];
  if (sources.length === 0) throw new TrainingInputError('No training data: add a labelled folder, signed cases or an embeddings file.');
  for (const s of sources) {
    if (s.encoder.dim !== active.dim) {
      throw new TrainingInputError(`"${s.name}" holds ${s.encoder.dim}-dimensional embeddings, but the active encoder produces ${active.dim}.`);
    }
    if (s.encoder.bundleId !== active.bundleId) {
      throw new TrainingInputError(`"${s.name}" was embedded with "${s.encoder.bundleId}", not with the active encoder "${active.bundleId}".`);
    }
    if (s.encoder.encoderSha256 && active.encoderSha256 && s.encoder.encoderSha256 !== active.encoderSha256) {
      messages.push(`"${s.name}" comes from another precision of the same encoder; its embeddings differ slightly from the active variant's.`);
    }
    if (s.embeddings.length !== s.labels.length * s.encoder.dim) throw new TrainingInputError(`"${s.name}": ${s.embeddings.length} values for ${s.labels.length} cells.`);
  }
  const all = new Set<string>();
  for (const s of sources) for (let i = 0; i < s.labels.length; i++) all.add(s.classes[s.labels[i]!]!);
  const known = knownClasses.filter((c) => all.has(c));
  const classes = [...known, ...[...all].filter((c) => !known.includes(c)).sort(byName)];
  const index = new Map(classes.map((c, i) => [c, i]));
  const seen = new Map<string, string>();
  let conflicts = 0;
  const rows: { s: number; i: number; label: number }[] = [];
  const dup = sources.map(() => 0);
  sources.forEach((s, si) => {
    for (let i = 0; i < s.labels.length; i++) {
      const cls = s.classes[s.labels[i]!]!;
      const hash = s.imageHashes?.[i];
      if (hash) {
        const before = seen.get(hash);
        if (before !== undefined) {
          dup[si]!++;
          if (before !== cls) conflicts++;
          continue;
        }
        seen.set(hash, cls);
      }
      rows.push({ s: si, i, label: index.get(cls)! });
    }
  });
  const d = active.dim;
  const embeddings = new Float32Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  const bySource = classes.map(() => sources.map(() => 0));
  rows.forEach((r, k) => {
    const src = sources[r.s]!;
    embeddings.set(src.embeddings.subarray(r.i * d, (r.i + 1) * d), k * d);
    labels[k] = r.label;
    bySource[r.label]![r.s]!++;
  });
  const duplicatesDropped = dup.reduce((a, b) => a + b, 0);
  if (duplicatesDropped > 0) {
    messages.push(`${duplicatesDropped} image${duplicatesDropped === 1 ? '' : 's'} appeared more than once (same file contents): kept once.`);
  }
  if (conflicts > 0) messages.push(`${conflicts} of them had different classes in different sources: the first source's class was kept.`);
  return {
    classes,
    embeddings,
    labels,
    dim: d,
    summary: {
      total: rows.length,
      classes: classes.map((name, c) => ({ name, count: bySource[c]!.reduce((a, b) => a + b, 0), bySource: bySource[c]! })),
      sources: sources.map((s, si) => ({ kind: s.kind, name: s.name, count: bySource.reduce((a, row) => a + row[si]!, 0), duplicates: dup[si]! })),
      duplicatesDropped,
    },
    messages,
  };
}

/**
 * The class a signed case gives a cell for training: the reviewer's class, or the prediction the
 * reviewer left standing (top class, whatever its confidence: signing means it was accepted). Null
 * for cells that were never classified or failed.
 */
export function verifiedLabel(cell: Pick<Cell, 'status' | 'userClass' | 'probabilities'>, classes: string[] | undefined): string | null {
  if (cell.userClass) return cell.userClass;
  if (cell.status !== 'classified' || !cell.probabilities || !classes || cell.probabilities.length !== classes.length) return null;
  return classes[topK(cell.probabilities, 1)[0]!.index] ?? null;
}
