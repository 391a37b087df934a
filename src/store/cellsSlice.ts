import type { StateCreator } from 'zustand';
import type { Cell } from '../core/cell.ts';
import type { AppState } from './index.ts';

export interface CellsSlice {
  cells: Record<string, Cell>;
  order: string[];
  selectedId: string | null;
  /** A storage failure the user must know about (quota); the session itself stays in memory. */
  storageError: string | null;
  /** True once the persisted session has been read back after a reload. */
  restored: boolean;
}

/** The case's cells in gallery order (ids without a cell, which a concurrent removal can leave for a moment, left out). */
export function orderedCells(s: Pick<CellsSlice, 'cells' | 'order'>): Cell[] {
  return s.order.map((id) => s.cells[id]!).filter(Boolean);
}

export const createCellsSlice: StateCreator<AppState, [], [], CellsSlice> = () => ({
  cells: {},
  order: [],
  selectedId: null,
  storageError: null,
  restored: false,
});
