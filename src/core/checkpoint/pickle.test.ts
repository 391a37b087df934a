import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.ts';
import { PyDict, PyTuple, unpickle, type StorageRef, type TensorRefData } from './pickle.ts';
import { readTorchZip } from './torchZip.ts';
import { fixture, fixtureBytes } from '../../../tools/fixtures/checkpointFixtures.ts';
import { readZipDirectory } from './zip.ts';

const enc = new TextEncoder();
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const uni = (s: string): number[] => [0x58, ...u32(enc.encode(s).length), ...enc.encode(s)];
const glob = (m: string, n: string): number[] => [0x63, ...enc.encode(`${m}\n${n}\n`)];
const P = (...ops: (number | number[])[]): Uint8Array => Uint8Array.from([0x80, 2, ...ops.flat(), 0x2e]);

const opts = {
  name: 'x.pth',
  persistentLoad: (t: { dtype: StorageRef['dtype'] }, key: string, numel: number): StorageRef => ({ kind: 'storage', key, dtype: t.dtype, numel }),
};

/** {'w': _rebuild_tensor_v2(('storage', torch.HalfStorage, '0', 'cpu', 6), 0, (2, 3), (3, 1), False, OrderedDict()), 'it': 1000} */
const STATE_DICT = P(
  0x7d, 0x28, // EMPTY_DICT MARK
  uni('w'), glob('torch._utils', '_rebuild_tensor_v2'),
  0x28, 0x28, uni('storage'), glob('torch', 'HalfStorage'), uni('0'), uni('cpu'), 0x4b, 6, 0x74, 0x51, // (storage tuple) BINPERSID
  0x4b, 0, 0x4b, 2, 0x4b, 3, 0x86, 0x4b, 3, 0x4b, 1, 0x86, 0x89, glob('collections', 'OrderedDict'), 0x29, 0x52, 0x74, 0x52,
  uni('it'), 0x4d, 0xe8, 0x03, // BININT2 1000
  0x75, // SETITEMS
);

describe('restricted unpickler', () => {
  it('reads a state dict: tensors as references, plain values as values', () => {
    const d = unpickle(STATE_DICT, opts) as PyDict;
    expect(d).toBeInstanceOf(PyDict);
    const w = d.map.get('w') as TensorRefData;
    expect(w).toMatchObject({ kind: 'tensor', offset: 0, shape: [2, 3], stride: [3, 1], storage: { key: '0', dtype: 'float16', numel: 6 } });
    expect(d.map.get('it')).toBe(1000);
  });

  it('is a real pickle: the same bytes load in Python (protocol 2 reference in the fixtures)', async () => {
    const f = await readTorchZip(fixture('good/tiny.pth'));
    const root = f.root as PyDict;
    expect([...root.map.keys()]).toEqual(['teacher', 'iteration']);
    expect(root.map.get('iteration')).toBe(1000);
  });

  const refused: [string, Uint8Array][] = [
    ['os.system', P(glob('os', 'system'), uni('echo pwned'), 0x85, 0x52)],
    ['posix.system', P(glob('posix', 'system'), uni('id'), 0x85, 0x52)],
    ['builtins.eval', P(glob('builtins', 'eval'), uni('1'), 0x85, 0x52)],
    ['builtins.exec', P(glob('builtins', 'exec'))],
    ['subprocess.Popen', P(glob('subprocess', 'Popen'))],
    ['numpy.core.multiarray._reconstruct', P(glob('numpy.core.multiarray', '_reconstruct'))],
    ['torch.load', P(glob('torch', 'load'))],
    ['torch._utils._rebuild_device_tensor_from_numpy', P(glob('torch._utils', '_rebuild_device_tensor_from_numpy'))],
    ['argparse.Namespace', P(0x8c, 8, ...enc.encode('argparse'), 0x8c, 9, ...enc.encode('Namespace'), 0x93)], // STACK_GLOBAL
    ['os.system', P(0x69, ...enc.encode('os\nsystem\n'))], // INST
  ];
  for (const [what, bytes] of refused) {
    it(`refuses ${what} by name before anything is looked up`, () => {
      let err: unknown;
      try {
        unpickle(bytes, opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).kind).toBe('refused-pickle');
      expect((err as CheckpointError).message).toMatch(new RegExp(`^x\\.pth: asks for ${what.replace(/\./g, '\\.')}: not a weights file, refused`));
    });
  }

  it('refuses opcodes a state dict never uses (NEWOBJ, EXT1, PERSID text)', () => {
    for (const op of [0x81, 0x82, 0x50]) {
      expect(() => unpickle(P(0x29, 0x29, op), opts)).toThrow(/not a weights file, refused \(/);
    }
  });

  it('refuses calling anything that is not one of its functions (REDUCE on a value)', () => {
    expect(() => unpickle(P(uni('os'), 0x29, 0x52), opts)).toThrow(/asks for a call of something that is not a known state-dict function/);
  });

  it('a persistent id must be a tensor storage', () => {
    expect(() => unpickle(P(uni('module'), 0x51), opts)).toThrow(/asks for a persistent object that is not a tensor storage/);
  });

  it('a stream cut at any byte is a truncated file, never a crash or a wrong value', () => {
    for (let cut = 0; cut < STATE_DICT.length - 1; cut++) {
      let err: unknown;
      try {
        unpickle(STATE_DICT.subarray(0, cut), opts);
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).kind, `cut at ${cut}`).toBe('truncated');
    }
  });

  it('values: tuples, lists, floats, big ints, bools, None, bytes, memo', () => {
    const v = unpickle(
      P(0x5d, 0x28, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x8a, 5, 0, 0, 0, 0, 1, 0x88, 0x4e, 0x43, 2, 9, 8, 0x4a, ...u32(-5 >>> 0), 0x65, 0x71, 1, 0x68, 1, 0x86),
      opts,
    ) as PyTuple;
    expect(v).toBeInstanceOf(PyTuple);
    const [list, again] = v.items as [unknown[], unknown[]];
    expect(list).toEqual([1.5, 2 ** 32, true, null, Uint8Array.from([9, 8]), -5]);
    expect(again).toBe(list);
  });
});

describe('zip reader', () => {
  it('reads torch.save zips: stored entries, data at the local-header offset', async () => {
    const src = fixture('good/tiny.bin');
    const dir = await readZipDirectory(src);
    const pkl = [...dir.entries.values()].find((e) => e.name.endsWith('/data.pkl'))!;
    expect(pkl.method).toBe(0);
    const at = await dir.dataOffset(pkl);
    expect(fixtureBytes('good/tiny.bin')[at]).toBe(0x80); // PROTO
  });

  it('zip64: a 5 GB file (DinoBloom-G is 4.4 GB) whose entry lies past 4 GiB', async () => {
    // sparse: a local header + 3 bytes at 4.5 GiB, then the central directory, zip64 end records, end record
    const name = enc.encode('archive/data.pkl');
    const local = 4.5 * 2 ** 30;
    const lh = [...u32(0x04034b50), 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(0), ...u32(3), ...u32(3), name.length, 0, 0, 0, ...name];
    const extra = [1, 0, 8, 0, ...u64(local)];
    const cd = [...u32(0x02014b50), 45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(0), ...u32(3), ...u32(3), name.length, 0, extra.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(0xffffffff), ...name, ...extra];
    const cdAt = local + lh.length + 3;
    const z64At = cdAt + cd.length;
    const z64 = [...u32(0x06064b50), ...u64(44), 45, 0, 45, 0, ...u32(0), ...u32(0), ...u64(1), ...u64(1), ...u64(cd.length), ...u64(cdAt)];
    const loc = [...u32(0x07064b50), ...u32(0), ...u64(z64At), ...u32(1)];
    const eocd = [...u32(0x06054b50), 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, ...u32(0xffffffff), ...u32(0xffffffff), 0, 0];
    const tail = Uint8Array.from([...lh, 0x80, 2, 0x2e, ...cd, ...z64, ...loc, ...eocd]);
    const size = local + tail.length;
    const src = {
      name: 'DinoBloom-G.pth',
      size,
      read: async (offset: number, length: number) => {
        const out = new Uint8Array(length);
        for (let i = 0; i < length; i++) {
          const p = offset + i - local;
          out[i] = p >= 0 && p < tail.length ? tail[p]! : 0;
        }
        return out;
      },
    };
    const dir = await readZipDirectory(src);
    const e = dir.entries.get('archive/data.pkl')!;
    expect(e.localOffset).toBe(local);
    expect(await dir.dataOffset(e)).toBe(local + lh.length);
  });

  it('a file without its end record is truncated', async () => {
    const bytes = fixtureBytes('good/tiny.bin');
    const src = { name: 't.bin', size: 100, read: async (o: number, n: number) => bytes.subarray(o, o + n) };
    await expect(readZipDirectory(src)).rejects.toThrow(/t\.bin: truncated or corrupt PyTorch checkpoint \(100 bytes; no zip central directory/);
  });
});

function u64(n: number): number[] {
  const lo = n % 2 ** 32;
  const hi = Math.floor(n / 2 ** 32);
  return [...u32(lo), ...u32(hi)];
}
