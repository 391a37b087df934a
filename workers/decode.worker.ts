/**
 * Decode worker: decode → RGBA → PIL-exact resize + normalise for one batch of cells, off the
 * inference worker's thread, so that the next batch is prepared while the current one is in
 * session.run (which blocks the inference worker's event loop, and with it any decoding started there).
 * Started, fed and terminated by workers/engine.ts (DecodePool); requests are answered in order.
 */
import type { CellFraming } from '../src/core/cell.ts';
import { preprocessFramed, type PreprocessSpec } from '../src/core/preprocess.ts';
import { decodeCellOrError, type DecodeError } from './decode.ts';

export interface DecodeRequest {
  blobs: Blob[];
  spec: PreprocessSpec;
}

export interface DecodeReply {
  /** one per blob: its size (and, for cell-centred models, how it was framed), or why it could not be used */
  cells: ({ ok: true; width: number; height: number; framing?: CellFraming } | DecodeError)[];
  /** the good cells' tensors, back to back (3 × size × size floats each), transferred */
  data: Float32Array;
  decodeMs: number;
  resizeMs: number;
}

self.onmessage = async (e: MessageEvent<DecodeRequest>) => {
  const tStart = performance.now();
  const { blobs, spec } = e.data;
  const per = 3 * spec.size * spec.size;
  const decoded = await Promise.all(blobs.map(decodeCellOrError));
  const t0 = performance.now();
  const decodeMs = t0 - tStart; // the batch's files decode concurrently: wall time until all are done
  const good = decoded.filter((d) => d.ok).length;
  const data = new Float32Array(good * per);
  const cells: DecodeReply['cells'] = [];
  let k = 0;
  for (const d of decoded) {
    if (!d.ok) {
      cells.push(d);
      continue;
    }
    const { framing } = preprocessFramed(d.image, spec, data, k * per);
    k++;
    cells.push({ ok: true, width: d.image.width, height: d.image.height, ...(framing ? { framing } : {}) });
  }
  const resizeMs = performance.now() - t0;
  const reply: DecodeReply = { cells, data, decodeMs, resizeMs };
  (self as unknown as Worker).postMessage(reply, [data.buffer]);
};
