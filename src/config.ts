/** Built-in model bundles served from public/models/ (no user action needed to load the default). */
export interface BuiltinModel {
  id: string;
  path: string;
  /** what it is, in a few words, beside its button in the Models panel */
  note: string;
  /** a former default: a workstation still on it is told once what the default is now (NewDefaultNotice) */
  previousDefault?: true;
  /** the default only: why it replaced the previous one, in a sentence (NewDefaultNotice) */
  whyDefault?: string;
}

export const BUILTIN_MODELS: BuiltinModel[] = [
  {
    id: 'pbc-compact-cnn-v4',
    path: 'models/pbc-compact-cnn-v4/',
    note: 'built-in default: compact CNN trained on PBC with a cell-centred input, for other labs\' scales and stains too, that looks twice at the cells it is unsure of; not DinoBloom',
    whyDefault:
      // shown to a workstation on v3 and on v1 alike, so the figures name both
      'it was trained harder for other labs\' stains and looks a second time, turned, at the cells it is unsure of: on another lab\'s cells (LISC) 75.3 % balanced accuracy against v3\'s 67.2 % and v1\'s 47.4 %, on PBC-scanner crops 97.2 % against 97.0 % and 97.5 %; a little slower (its model card in Models)',
  },
  {
    id: 'pbc-compact-cnn-v3',
    path: 'models/pbc-compact-cnn-v3/',
    note: 'a former default: the same kind of model with one look per cell, a little faster, 8 points worse on other labs\' cells; cases and lab heads made with it keep working',
    previousDefault: true,
  },
  {
    id: 'pbc-compact-cnn-v1',
    path: 'models/pbc-compact-cnn-v1/',
    note: 'a former default (before v3): whole-crop input, 0.3 points better than the default on PBC-scanner crops, far worse on other labs\'; cases and lab heads made with it keep working',
    previousDefault: true,
  },
  { id: 'test-tiny-dinov2', path: 'models/test-tiny-dinov2/', note: 'random weights, for tests only' },
];

/**
 * What a first start loads. A workstation that has used the app before opens the model it last used
 * (modelActions.activateInitial), so a lab on the previous default keeps it, with its cases and lab
 * heads, until someone switches in Models.
 */
export const DEFAULT_MODEL_ID = 'pbc-compact-cnn-v4';
/** The built-in trained for other labs' scales and stains: what a shifted case is pointed to. Today the
 * default itself, so a case on the default is pointed to a lab head instead (caseShift.shiftRemedy). */
export const CROSS_LAB_MODEL_ID = DEFAULT_MODEL_ID;

/** Cells sent to the worker per classify call; the worker batches inside it. */
export const CHUNK_SIZE = 32;

export function builtinUrl(model: BuiltinModel): string {
  return new URL(`${import.meta.env.BASE_URL}${model.path}`, self.location.href).href;
}

/** Cache Storage name for verified model files of URL bundles (built-in ones included). */
export const MODEL_CACHE = 'dinobloom-models-v1';
