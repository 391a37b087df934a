import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../inference/types.ts';
import { shiftRemedy } from './caseShift.ts';

const model = (id: string, head: { id: string; name: string; version: number } | null): LoadedModel =>
  ({ manifest: { id, name: id }, head } as unknown as LoadedModel);

const CROSS_LAB_MODEL_ID = 'pbc-compact-cnn-v4';

describe('shiftRemedy', () => {
  it('points the default model to the cross-lab built-in and to lab heads', () => {
    const text = shiftRemedy(model('pbc-compact-cnn-v1', { id: 'bundle', name: 'bundle head', version: 1 }), CROSS_LAB_MODEL_ID);
    expect(text).toContain(`Models → Built in → ${CROSS_LAB_MODEL_ID}`);
    expect(text).toContain('Lab heads');
  });

  it('does not suggest the cross-lab model to itself', () => {
    const text = shiftRemedy(model(CROSS_LAB_MODEL_ID, { id: 'bundle', name: 'bundle head', version: 2 }), CROSS_LAB_MODEL_ID);
    expect(text).not.toContain('Built in');
    expect(text).toContain('train a lab head');
  });

  it('asks for retraining when a lab head is classifying', () => {
    const text = shiftRemedy(model('pbc-compact-cnn-v1', { id: 'lab-1', name: 'ward 3', version: 2 }), CROSS_LAB_MODEL_ID);
    expect(text).toContain('train it again');
    expect(text).not.toContain('Built in');
  });

  it('without a cross-lab built-in, suggests a lab head only', () => {
    const text = shiftRemedy(model('pbc-compact-cnn-v1', { id: 'bundle', name: 'bundle head', version: 1 }), null);
    expect(text).toBe('Cells from another scanner or stain: train a lab head on your own labelled cells (Lab heads).');
  });
});
