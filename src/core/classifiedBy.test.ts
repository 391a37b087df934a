import { describe, expect, it } from 'vitest';
import { BUNDLE_HEAD_ID, type Cell } from './cell.ts';
import { caseClassifiers, otherModelsOf } from './classifiedBy.ts';

let n = 0;
const cell = (over: Partial<Cell>): Cell => ({
  id: String(++n), caseId: 'c', name: `${n}.jpg`, bytes: 1, addedAt: 0, status: 'classified', probabilities: [1, 0],
  modelId: 'v3', modelVersion: '3.0.0', userClass: null, error: null, ...over,
});
const lab = { id: 'h1', name: 'Lab head', version: '2' };
const bundle = { id: BUNDLE_HEAD_ID, name: 'bundle head', version: '3.0.0' };

describe('caseClassifiers', () => {
  it('counts cells of another model apart from cells of another head of this model', () => {
    const cells = [
      cell({ modelId: 'v1', modelVersion: '1.0.0', head: bundle }),
      cell({ modelId: 'v1', modelVersion: '1.0.0' }), // classified before lab heads: the bundle head
      cell({ head: lab }),
      cell({ head: bundle }),
      cell({}),
    ];
    const r = caseClassifiers(cells, { modelId: 'v3', head: bundle });
    expect(r).toMatchObject({ classified: 5, otherModel: 2, otherHead: 1, otherModels: ['v1 v1.0.0'] });
    // a case that mixes models names the model in every label, most cells first (ties by name)
    expect(r.from).toBe('v1 v1.0.0 · bundle head (2), v3 v3.0.0 · bundle head (2), v3 v3.0.0 · Lab head v2 (1)');
  });

  it('names heads only when every cell is of the active model, and skips cells not classified', () => {
    const cells = [cell({ head: lab }), cell({ head: lab }), cell({}), cell({ status: 'queued', probabilities: null, modelId: null }), cell({ status: 'error', modelId: 'v1' })];
    const r = caseClassifiers(cells, { modelId: 'v3', head: lab });
    expect(r).toEqual({ classified: 3, otherModel: 0, otherHead: 1, from: 'Lab head v2 (2), bundle head (1)', otherModels: [] });
  });

  it('says none for a case with nothing classified', () => {
    expect(caseClassifiers([], { modelId: 'v3', head: null })).toEqual({ classified: 0, otherModel: 0, otherHead: 0, from: 'none', otherModels: [] });
  });

  it("otherModelsOf: counts another model's classified cells only, most cells first, and skips missing entries", () => {
    const cells = [
      cell({ modelId: 'v1', modelVersion: '1.0.0' }), cell({ modelId: 'v2', modelVersion: '2.0.0' }), cell({ modelId: 'v2', modelVersion: '2.0.0' }),
      cell({}), undefined, cell({ status: 'error', modelId: 'v1' }),
    ];
    expect(otherModelsOf(cells, 'v3')).toEqual({ count: 3, models: ['v2 v2.0.0', 'v1 v1.0.0'] });
    expect(otherModelsOf(cells, 'v2')).toEqual({ count: 2, models: ['v1 v1.0.0', 'v3 v3.0.0'] });
  });
});
