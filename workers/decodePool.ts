import { preprocess, type PreprocessSpec } from '../src/core/preprocess.ts';
import { decodeCell } from './decode.ts';
import type { DecodeReply, DecodeRequest } from './decode.worker.ts';
import { WorkerChannel } from './workerChannel.ts';

/**
 * Decode + resize cost of one typical cell on this device: a 360 × 360 JPEG (the size of a PBC crop)
 * drawn here, decoded and preprocessed like a real cell; best of eight (the first runs of the resize
 * code are not optimised by the JavaScript engine yet: they took ~15 ms instead of ~5).
 */
export async function measurePrep(input: PreprocessSpec): Promise<number> {
  const canvas = new OffscreenCanvas(360, 360);
  const ctx = canvas.getContext('2d')!;
  const g = ctx.createRadialGradient(180, 180, 20, 180, 180, 200);
  g.addColorStop(0, '#6b3d8f');
  g.addColorStop(0.5, '#c48db0');
  g.addColorStop(1, '#f1dce4');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, 360, 360);
  for (let i = 0; i < 400; i++) {
    ctx.fillStyle = `rgba(${(i * 37) % 255}, ${(i * 91) % 255}, ${(i * 53) % 255}, 0.3)`;
    ctx.fillRect((i * 97) % 360, (i * 61) % 360, 6 + (i % 9), 6 + (i % 7));
  }
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
  const out = new Float32Array(3 * input.size * input.size);
  let best = Infinity;
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    const d = await decodeCell(blob);
    if (!d.ok) throw new Error(d.message);
    preprocess(d.image, input, out, 0);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** One decode worker (workers/decode.worker.ts): prepares the next batch while this thread runs inference. */
export class DecodePool {
  private readonly channel = new WorkerChannel<DecodeRequest, DecodeReply>(
    new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: 'decode' }),
    'decode worker failed',
  );

  get broken(): boolean {
    return this.channel.broken;
  }

  request(blobs: Blob[], spec: DecodeRequest['spec']): Promise<DecodeReply> {
    return this.channel.request({ blobs, spec });
  }

  terminate(): void {
    this.channel.terminate('decode worker stopped');
  }
}
