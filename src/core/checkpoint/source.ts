/**
 * Random access to a (possibly multi-GB) checkpoint file without loading it: the readers only ever ask
 * for byte ranges. A dropped File is a Blob, and Blob.slice() reads from disk on demand.
 */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; the readers check ranges against `size` before asking. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function blobSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Reads a source front to back in chunks (hashing); `onChunk` sees each chunk once. */
export async function readSequentially(src: ByteSource, onChunk: (chunk: Uint8Array, done: number) => void | Promise<void>, chunkBytes = 8 << 20): Promise<void> {
  for (let at = 0; at < src.size; at += chunkBytes) {
    const chunk = await src.read(at, Math.min(chunkBytes, src.size - at));
    await onChunk(chunk, at + chunk.length);
  }
}
