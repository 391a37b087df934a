import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../manifest.ts';
import { Sha256, sha256HexSync } from './sha256.ts';

describe('incremental SHA-256', () => {
  it('matches WebCrypto for every length around the block boundaries, fed in any chunking', async () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300]) {
      const want = await sha256Hex(data.subarray(0, n));
      expect(sha256HexSync(data.subarray(0, n)), `${n}`).toBe(want);
      const h = new Sha256();
      for (let at = 0; at < n; at += 7) h.update(data.subarray(at, Math.min(n, at + 7)));
      expect(h.hex(), `${n} in chunks`).toBe(want);
    }
  });

  it('a few MB in odd chunks', async () => {
    const data = new Uint8Array(3_000_001);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const h = new Sha256();
    for (let at = 0; at < data.length; at += 1_000_003) h.update(data.subarray(at, at + 1_000_003));
    expect(h.hex()).toBe(await sha256Hex(data));
  });
});
