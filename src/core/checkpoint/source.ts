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

/**
 * A source that reads in large windows and keeps the last `keep` of them: the encoders are built by
 * sweeping the file front to back (twice per encoder: small tensors, then the weight matrices), and a
 * browser's Blob reads have a high fixed cost — one 64 MB read is far cheaper than hundreds of small
 * ones, and memory stays at `keep` windows.
 */
export function windowedSource(src: ByteSource, windowBytes = 64 << 20, keep = 2): ByteSource {
  const windows: { start: number; bytes: Uint8Array }[] = [];
  return {
    name: src.name,
    size: src.size,
    async read(offset, length) {
      const hit = windows.find((w) => offset >= w.start && offset + length <= w.start + w.bytes.length);
      if (hit) {
        windows.splice(windows.indexOf(hit), 1);
        windows.push(hit); // most recently used last
        return hit.bytes.subarray(offset - hit.start, offset - hit.start + length);
      }
      const start = length >= windowBytes ? offset : Math.max(0, Math.min(offset, src.size - windowBytes));
      const size = Math.min(src.size - start, Math.max(windowBytes, offset + length - start));
      const w = { start, bytes: await src.read(start, size) };
      windows.push(w);
      while (windows.length > keep) windows.shift();
      return w.bytes.subarray(offset - start, offset - start + length);
    },
  };
}
