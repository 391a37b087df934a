/** One cell crop in a session, as stored and as exported. Pure data: no Blob (kept separately). */
import { decide, UNIDENTIFIED } from './head.ts';
import type { ExportRow } from './export.ts';

export type CellStatus = 'queued' | 'classified' | 'error';

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
  /** Softmax over `modelClasses[modelId]`, in that order. */
  probabilities: number[] | null;
  modelId: string | null;
  modelVersion: string | null;
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
  return {
    file: cell.name,
    predictedClass: view.predictedClass,
    confidence: view.confidence,
    userClass: cell.userClass,
    status,
    probabilities: cell.probabilities,
  };
}
