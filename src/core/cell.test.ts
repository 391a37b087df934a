import { describe, expect, it } from 'vitest';
import { cellsToShow, toExportRow, viewCell, type Cell } from './cell.ts';

const classes = ['a', 'b', 'c'];
const base: Cell = {
  id: '1', caseId: 'c', name: 'x.jpg', bytes: 10, addedAt: 0, status: 'classified', probabilities: [0.7, 0.2, 0.1],
  modelId: 'm', modelVersion: '1', userClass: null, error: null,
};

describe('cell views', () => {
  it('shows the top class above the threshold, Unidentified below it', () => {
    expect(viewCell(base, classes, 0.5)).toMatchObject({ className: 'a', confidence: 0.7 });
    expect(viewCell(base, classes, 0.8)).toMatchObject({ className: 'Unidentified', topClass: 'a' });
    expect(viewCell(base, classes, 0.5).top3.map((t) => t.cls)).toEqual(['a', 'b', 'c']);
  });

  it("lets a reviewer's class win and marks the export row as reviewed", () => {
    const cell = { ...base, userClass: 'c' };
    const v = viewCell(cell, classes, 0.5);
    expect(v.className).toBe('c');
    expect(toExportRow(cell, v)).toMatchObject({ predictedClass: 'a', userClass: 'c', status: 'reviewed' });
  });

  it('exports errors and Unidentified cells with their own status', () => {
    const err: Cell = { ...base, status: 'error', probabilities: null, error: { reason: 'empty', message: 'Empty file (0 bytes).' } };
    expect(toExportRow(err, viewCell(err, classes, 0.5))).toMatchObject({ status: 'error', error: 'Empty file (0 bytes).', probabilities: null });
    expect(toExportRow(base, viewCell(base, classes, 0.9)).status).toBe('unidentified');
  });
});

describe('cells shown when a case opens', () => {
  const cell = (id: string, caseId: string): Cell => ({ ...base, id, caseId });
  it('keeps the stored cells in their order, then the case\'s cells added meanwhile, never another case\'s', () => {
    const stored = [cell('s1', 'new'), cell('s2', 'new')];
    const inPage = [cell('old1', 'old'), cell('s2', 'new'), cell('added1', 'new'), cell('added2', 'new')];
    expect(cellsToShow(stored, inPage, 'new').map((c) => c.id)).toEqual(['s1', 's2', 'added1', 'added2']);
  });
  it('is the stored list when nothing was added meanwhile', () => {
    const stored = [cell('s1', 'new')];
    expect(cellsToShow(stored, [cell('old1', 'old')], 'new')).toEqual(stored);
    expect(cellsToShow([], [], 'new')).toEqual([]);
  });
});
