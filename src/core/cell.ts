/** One cell crop in a session, as stored and as exported. Pure data: no Blob (kept separately). */
import { decide, UNIDENTIFIED } from './head.ts';
import type { ExportRow } from './export.ts';

export type CellStatus = 'queued' | 'classified' | 'error';

/** Which classifier head produced a cell's probabilities: the bundle's own (id BUNDLE_HEAD_ID) or a lab head. */
export interface HeadRef {
  id: string;
  name: string;
  version: string;
}

/** The id of a bundle's own head (head.json shipped with the encoder). */
export const BUNDLE_HEAD_ID = 'bundle';

/** Out-of-distribution check of one cell against the model's reference statistics (src/core/shift). */
export interface CellShift {
  score: number;
  /** score above the statistics' threshold: "Unlike the training data" */
  flagged: boolean;
}

/** How a cell-centred model framed the crop (absent for whole-crop models). */
export interface CellFraming {
  /** false: no cell was found and the whole crop was used */
  cellFound: boolean;
  note?: string;
}

export interface Cell {
  id: string;
  /** The case (sample) this cell belongs to. */
  caseId: string;
  /** File name, with the folder path when it came from a dropped folder. */
  name: string;
  bytes: number;
  addedAt: number;
  status: CellStatus;
  width?: number;
  height?: number;
  /** Softmax over `modelClasses[classesKey(modelId, head)]`, in that order. */
  probabilities: number[] | null;
  modelId: string | null;
  modelVersion: string | null;
  /** `<bundle id>:<encoder variant sha256>` of the encoder that embedded this cell (embeddings cache key). */
  encoderKey?: string;
  /** sha256 (lowercase hex) of the image file's bytes: duplicate detection and the embeddings cache key. */
  imageHash?: string;
  /** The head that produced `probabilities`; absent in cells classified before lab heads (= the bundle's own). */
  head?: HeadRef | null;
  /** Shift check of this cell; null/absent when the model has no reference statistics (checks off). */
  shift?: CellShift | null;
  framing?: CellFraming;
  /** The encoder also read this cell turned a quarter and averaged both views (its first view was unsure: manifest encoder.secondView). */
  secondView?: boolean;
  /** A reviewer's class; wins over the prediction everywhere. */
  userClass: string | null;
  error: { reason: string; message: string } | null;
}

export interface CellView {
  /** What the gallery groups by: user class, predicted class, Unidentified, or null (queued/error). */
  className: string | null;
  predictedClass: string | null;
  topClass: string | null;
  confidence: number | null;
  top3: { cls: string; p: number }[];
}

export function viewCell(cell: Cell, classes: string[] | undefined, threshold: number): CellView {
  if (cell.status !== 'classified' || !cell.probabilities || !classes) {
    return { className: cell.userClass, predictedClass: null, topClass: null, confidence: null, top3: [] };
  }
  const d = decide(cell.probabilities, classes, threshold);
  return {
    className: cell.userClass ?? d.predictedClass,
    predictedClass: d.predictedClass,
    topClass: d.topClass,
    confidence: d.confidence,
    top3: d.top3,
  };
}

export function toExportRow(cell: Cell, view: CellView): ExportRow {
  if (cell.status === 'error') {
    return { file: cell.name, predictedClass: null, confidence: null, userClass: cell.userClass, status: 'error', probabilities: null, error: cell.error?.message };
  }
  const status = cell.userClass ? 'reviewed' : view.predictedClass === UNIDENTIFIED ? 'unidentified' : 'classified';
  const classified = cell.status === 'classified' && cell.modelId !== null;
  return {
    file: cell.name,
    predictedClass: view.predictedClass,
    confidence: view.confidence,
    userClass: cell.userClass,
    status,
    probabilities: cell.probabilities,
    model: classified ? { id: cell.modelId!, version: cell.modelVersion ?? '' } : null,
    // cells classified before lab heads existed were classified by their bundle's own head
    head: classified ? (cell.head ?? { id: BUNDLE_HEAD_ID, name: 'bundle head', version: cell.modelVersion ?? '' }) : null,
    shiftScore: cell.shift?.score ?? null,
    shiftFlag: cell.shift ? cell.shift.flagged : null,
  };
}

/**
 * Key of a classifier's class list in the store's `modelClasses`: the model id for its own head
 * (as before lab heads existed), `<model id>#<head id>` for a lab head.
 */
export function classesKey(modelId: string, head: HeadRef | null | undefined): string {
  return !head || head.id === BUNDLE_HEAD_ID ? modelId : `${modelId}#${head.id}`;
}

/** The class list a cell's probabilities are over (undefined when unknown). */
export function cellClasses(cell: Cell, modelClasses: Readonly<Record<string, string[]>>): string[] | undefined {
  return cell.modelId ? modelClasses[classesKey(cell.modelId, cell.head)] : undefined;
}

/**
 * The cells to show for a case being opened: the stored ones, then any of this case's cells that are in the page but
 * not stored yet — cells dropped while the case was loading (a drop right after "New case") would otherwise vanish
 * from the view when the stored list replaced the page's.
 */
export function cellsToShow(stored: readonly Cell[], inPage: readonly Cell[], caseId: string): Cell[] {
  const known = new Set(stored.map((c) => c.id));
  return [...stored, ...inPage.filter((c) => c.caseId === caseId && !known.has(c.id))];
}
