import { describe, expect, it } from 'vitest';
import { bytesSource, windowedSource } from './source.ts';

describe('windowedSource', () => {
  it('serves any range correctly from few large reads', async () => {
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    let reads = 0;
    const base = bytesSource(data, 'x');
    const counted = { ...base, read: (o: number, n: number) => (reads++, base.read(o, n)) };
    const w = windowedSource(counted, 1000, 2);
    for (let o = 0; o + 50 <= data.length; o += 37) expect([...(await w.read(o, 50))]).toEqual([...data.subarray(o, o + 50)]);
    expect(reads).toBeLessThanOrEqual(12); // one sweep: about one read per window
    expect([...(await w.read(9_990, 10))]).toEqual([...data.subarray(9_990)]);
    expect([...(await w.read(100, 2500))]).toEqual([...data.subarray(100, 2600)]); // larger than a window
  });
});
