/**
 * Why a checkpoint cannot be converted. `kind` mirrors the Python converter's exception classes
 * (tools/dinobloom/checkpoints.py) plus the browser's own refusals; the message is one line, starts
 * with the file name and says why, exactly as the Python converter words it where it has a message.
 */
export type CheckpointErrorKind =
  | 'truncated' // TruncatedCheckpointError: cut-off or corrupt file
  | 'not-checkpoint' // not a PyTorch / safetensors file at all
  | 'refused-pickle' // the pickle asks for something other than tensors and plain containers
  | 'not-dinov2' // NotDinoV2Error
  | 'registers' // RegistersModelError
  | 'key-mismatch' // KeyMismatchError (missing / unexpected keys, shapes)
  | 'unsupported' // readable, but not something this converter turns into a bundle (sizes, formats)
  | 'invalid'; // CheckpointError: other problems (NaN/Inf, integer tensors, heads)

export class CheckpointError extends Error {
  constructor(
    readonly kind: CheckpointErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The user pressed Cancel: not an error of the file. */
export class ConversionCancelled extends Error {
  constructor() {
    super('Conversion cancelled: nothing was stored.');
    this.name = 'ConversionCancelled';
  }
}
