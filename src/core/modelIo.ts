/**
 * Does an ONNX encoder's signature match its manifest? Checked right after a session is created, so a
 * wrong file (another model, a classifier instead of an encoder, a different input size) is refused
 * with a message that says what differs instead of failing on the first cell.
 */
import { outputName, type BundleManifest } from './manifest.ts';

export interface IoSignature {
  name: string;
  isTensor: boolean;
  type?: string;
  /** Numbers for fixed dimensions, strings for symbolic ones (e.g. the batch axis "N"). */
  shape?: readonly (number | string)[];
}

const fmt = (shape: readonly (number | string)[] | undefined): string => `[${(shape ?? []).join(', ')}]`;

function dimMatches(actual: number | string | undefined, expected: number | null): boolean {
  if (expected === null) return true;
  // A symbolic or unknown dimension (-1 / string) may hold the expected size at run time.
  return typeof actual === 'string' || actual === undefined || actual === -1 || actual === expected;
}

export function checkModelIo(
  manifest: Pick<BundleManifest, 'input' | 'output' | 'embeddingDim'>,
  file: string,
  inputs: readonly IoSignature[],
  outputs: readonly IoSignature[],
): string | null {
  const inName = manifest.input.name;
  const outName = outputName(manifest);
  const input = inputs.find((i) => i.name === inName);
  const output = outputs.find((o) => o.name === outName);
  if (!input || !output) {
    return (
      `${file} does not match manifest.json: expected input "${inName}" and output "${outName}", ` +
      `found inputs [${inputs.map((i) => i.name).join(', ')}] and outputs [${outputs.map((o) => o.name).join(', ')}].`
    );
  }
  if (input.isTensor && input.type && input.type !== 'float32') return `${file}: input "${inName}" is ${input.type}, expected float32.`;
  const s = manifest.input.size;
  const expectIn = [null, 3, s, s];
  if (input.shape && input.shape.length > 0) {
    if (input.shape.length !== 4 || !expectIn.every((e, k) => dimMatches(input.shape![k], e)))
      return `${file}: input "${inName}" has shape ${fmt(input.shape)}, but manifest.json says [N, 3, ${s}, ${s}].`;
  }
  if (output.shape && output.shape.length > 0) {
    const d = manifest.embeddingDim;
    if (output.shape.length !== 2 || !dimMatches(output.shape[1], d))
      return `${file}: output "${outName}" has shape ${fmt(output.shape)}, but manifest.json says [N, ${d}] (embeddingDim).`;
  }
  return null;
}
