/**
 * Thin worker entry: sha256 of a (large) Blob, streamed in chunks, so that hashing a checkpoint runs
 * on another core while the conversion worker builds the encoders from the same file.
 */
import * as Comlink from 'comlink';
import { Sha256 } from '../src/core/checkpoint/sha256.ts';
import { blobSource, readSequentially } from '../src/core/checkpoint/source.ts';

export class BlobHasher {
  async sha256(blob: Blob, onProgress?: (done: number, total: number) => void): Promise<string> {
    const h = new Sha256();
    // large reads: each Blob read has a fixed cost, many small ones are slow
    await readSequentially(blobSource(blob, 'blob'), (chunk, done) => {
      h.update(chunk);
      onProgress?.(done, blob.size);
    }, 32 << 20);
    return h.hex();
  }
}

Comlink.expose(new BlobHasher());
