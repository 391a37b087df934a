import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.ts';
import { FiniteCheck, loadCheckpoint, pyBytesRepr, sample } from './layout.ts';
import { sha256HexSync } from './sha256.ts';
import { fixture, fixtureJson, truncated } from '../../../tools/fixtures/checkpointFixtures.ts';

interface Expected {
  source: string;
  size: string;
  variant: string;
  dim: number;
  depth: number;
  numHeads: number;
  notes: string[];
  tensors: Record<string, { shape: number[]; sha256: string }>;
}
const GOOD = fixtureJson<Record<string, Expected>>('good/expected.json');
const BAD = fixtureJson<Record<string, { expect: string; python?: string; message?: string }>>('bad/expected.json');

const f32bytes = (v: Float32Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

async function refusal(rel: string, numHeads: number | undefined = 2): Promise<CheckpointError> {
  const err = await loadCheckpoint(fixture(rel), numHeads).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, rel).toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

describe('loadCheckpoint: the layouts of the published files, as the Python converter reads them', () => {
  for (const [file, want] of Object.entries(GOOD)) {
    it(`${file}: ${want.source}, same keys, shapes and float32 values as tools/dinobloom/checkpoints.py`, async () => {
      const ck = await loadCheckpoint(fixture(`good/${file}`), 2);
      expect([ck.source, ck.size, ck.variant]).toEqual([want.source, want.size, want.variant]);
      expect([ck.config.dim, ck.config.depth, ck.config.numHeads]).toEqual([want.dim, want.depth, want.numHeads]);
      expect(ck.notes).toEqual(want.notes);
      expect([...ck.tensors.keys()]).toEqual(Object.keys(want.tensors));
      for (const [key, t] of ck.tensors) {
        expect(t.shape, key).toEqual(want.tensors[key]!.shape);
        expect(sha256HexSync(f32bytes(await t.read())), key).toBe(want.tensors[key]!.sha256);
      }
    });
  }

  it('all layouts of the same weights map to identical tensors', async () => {
    const ref = GOOD['tiny.bin']!.tensors;
    for (const file of ['tiny.pth', 'tiny.safetensors', 'tiny-parameters.pth', 'tiny-strided.pth']) {
      const got = GOOD[file]!.tensors;
      for (const k of Object.keys(ref)) if (k !== 'mask_token') expect(got[k]!.sha256, `${file} ${k}`).toBe(ref[k]!.sha256);
    }
  });

  it('detects the format from the content, not the file name', async () => {
    const renamed = { ...fixture('good/tiny.safetensors'), name: 'weights.pth' };
    expect((await loadCheckpoint(renamed, 2)).source).toBe('timm-safetensors');
  });
});

describe('loadCheckpoint: refused inputs, with the Python converter\'s reasons', () => {
  for (const [file, want] of Object.entries(BAD)) {
    if (!want.message || want.python === 'CheckpointError' && /refusing to unpickle/.test(want.message)) continue;
    if (file === 'nan.bin') continue; // values, not layout: checked while the tensors stream (below)
    it(`${file}: ${want.expect} — same message as Python`, async () => {
      const err = await refusal(`bad/${file}`, file === 'resnet.pth' ? undefined : 2);
      expect(err.message).toBe(want.message);
    });
  }

  for (const [file, what] of [
    ['evil-os-system.pth', 'os.system'],
    ['evil-builtins-eval.bin', 'builtins.eval'],
    ['evil-namespace.pth', 'argparse.Namespace'],
  ] as const) {
    it(`${file}: the crafted pickle is refused naming ${what}, nothing runs`, async () => {
      const err = await refusal(`bad/${file}`);
      expect(err.kind).toBe('refused-pickle');
      expect(err.message).toContain(`${file}: asks for ${what}: not a weights file, refused`);
    });
  }

  it('a zip that is not a PyTorch file', async () => {
    const err = await refusal('bad/not-pytorch.zip');
    expect(err.kind).toBe('not-checkpoint');
    expect(err.message).toMatch(/^not-pytorch\.zip: a zip file, but not a PyTorch checkpoint \(no data\.pkl inside/);
  });

  it('the legacy (non-zip) torch format gets a specific message', async () => {
    const err = await refusal('bad/legacy.pth');
    expect([err.kind, err.message]).toEqual(['unsupported', expect.stringMatching(/legacy \(pre-1\.6, non-zip\) file format/)]);
  });

  it('NaN weights: the streamed check gives the Python message', async () => {
    const ck = await loadCheckpoint(fixture('bad/nan.bin'), 2);
    const finite = new FiniteCheck(ck.name);
    for (const [k, t] of ck.tensors) finite.check(k, await t.read());
    expect(() => finite.throwIfAny()).toThrow(BAD['nan.bin']!.message!);
  });

  for (const file of ['good/tiny.pth', 'good/tiny.bin', 'good/tiny.safetensors']) {
    it(`${file} cut short at any point is refused as truncated`, async () => {
      const full = fixture(file);
      for (const frac of [0.02, 0.3, 0.5, 0.9, 0.999]) {
        const cut = Math.floor(full.size * frac);
        const err = await loadCheckpoint(truncated(full, cut), 2).then(
          async (ck) => {
            for (const t of ck.tensors.values()) await t.read(); // a safetensors cut in the data is found at once
            return null;
          },
          (e: unknown) => e,
        );
        expect(err, `${file} at ${cut}`).toBeInstanceOf(CheckpointError);
        expect((err as CheckpointError).kind, `${file} at ${cut}`).toBe('truncated');
        expect((err as CheckpointError).message).toMatch(/truncated/);
      }
    });
  }

  it('an empty file', async () => {
    await expect(loadCheckpoint({ name: 'DinoBloom-S.pth', size: 0, read: async () => new Uint8Array(0) })).rejects.toThrow('DinoBloom-S.pth: empty file');
  });
});

describe('helpers', () => {
  it('sample() is Python\'s _sample', () => {
    expect(sample(['b', 'a'])).toBe('a, b');
    expect(sample(['g', 'f', 'e', 'd', 'c', 'b', 'a'])).toBe('a, b, c, d, e, f, ... (7 in all)');
  });
  it('pyBytesRepr() is Python\'s repr(bytes)', () => {
    expect(pyBytesRepr(new TextEncoder().encode('hello, n'))).toBe("b'hello, n'");
    expect(pyBytesRepr(Uint8Array.from([0, 0x7f, 0x27, 0x5c, 10]))).toBe('b"\\x00\\x7f\'\\\\\\n"');
  });
});
