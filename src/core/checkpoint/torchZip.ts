/**
 * PyTorch's zip format (torch.save since 1.6): `<archive>/data.pkl` is the pickled object, each tensor
 * storage is the stored (uncompressed) entry `<archive>/data/<key>`, little-endian. data.pkl goes
 * through the restricted unpickler; tensors stay references until their values are read.
 */
import { CheckpointError } from './errors.ts';
import { StorageType, unpickle, type PyValue, type StorageRef, type TensorRefData } from './pickle.ts';
import type { ByteSource } from './source.ts';
import { gather, isContiguous, ITEM_SIZE, numel, toFloat32, type CkptTensor } from './tensor.ts';
import { readZipDirectory, type ZipEntry } from './zip.ts';

const MAX_PICKLE_BYTES = 64 << 20;

export interface TorchFile {
  root: PyValue;
  /** the tensor behind a rebuilt-tensor reference */
  tensor(ref: TensorRefData): CkptTensor;
}

export async function readTorchZip(src: ByteSource): Promise<TorchFile> {
  const dir = await readZipDirectory(src);
  const pkl = [...dir.entries.keys()].filter((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/u.test(n)).sort((a, b) => a.length - b.length)[0];
  if (!pkl) {
    const bundle = [...dir.entries.keys()].some((n) => n === 'manifest.json' || n.endsWith('/manifest.json'));
    throw new CheckpointError(
      'not-checkpoint',
      bundle
        ? `${src.name}: a model bundle .zip, not a checkpoint: use "Import .zip…" for bundles`
        : `${src.name}: a zip file, but not a PyTorch checkpoint (no data.pkl inside; entries: ${[...dir.entries.keys()].slice(0, 4).join(', ')}${dir.entries.size > 4 ? ', …' : ''})`,
    );
  }
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const byteorder = dir.entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(await readEntry(src, dir, byteorder)).trim();
    if (order !== 'little') throw new CheckpointError('unsupported', `${src.name}: tensors stored ${order}-endian; only little-endian files are read`);
  }
  const pklEntry = dir.entries.get(pkl)!;
  if (pklEntry.size > MAX_PICKLE_BYTES) throw new CheckpointError('invalid', `${src.name}: data.pkl is ${pklEntry.size} bytes, far more than a state dict needs`);
  const storages = new Map<string, { entry: ZipEntry; ref: StorageRef }>();
  const root = unpickle(await readEntry(src, dir, pklEntry), {
    name: src.name,
    persistentLoad(type: StorageType, key: string, n: number): StorageRef {
      const known = storages.get(key);
      if (known) return known.ref;
      const entry = dir.entries.get(`${prefix}data/${key}`);
      if (!entry) throw new CheckpointError('truncated', `${src.name}: truncated or corrupt PyTorch checkpoint (storage ${key} is missing from the zip)`);
      if (entry.method !== 0) throw new CheckpointError('not-checkpoint', `${src.name}: ${entry.name} is compressed; PyTorch checkpoints store tensors uncompressed (was the file re-zipped?)`);
      const ref: StorageRef = { kind: 'storage', key, dtype: type.dtype, numel: n };
      if (entry.size < n * ITEM_SIZE[type.dtype]) {
        throw new CheckpointError('truncated', `${src.name}: truncated or corrupt PyTorch checkpoint (storage ${key} has ${entry.size} bytes, needs ${n * ITEM_SIZE[type.dtype]})`);
      }
      storages.set(key, { entry, ref });
      return ref;
    },
  });
  return {
    root,
    tensor(ref) {
      const { entry } = storages.get(ref.storage.key)!;
      const dtype = ref.storage.dtype;
      const item = ITEM_SIZE[dtype];
      const count = numel(ref.shape);
      const span = count === 0 ? 0 : 1 + ref.shape.reduce((s, d, k) => s + (d - 1) * ref.stride[k]!, 0);
      if (ref.offset < 0 || ref.stride.some((s) => s < 0) || ref.offset + span > ref.storage.numel) {
        throw new CheckpointError('truncated', `${src.name}: corrupt PyTorch checkpoint (a tensor reaches past its storage ${ref.storage.key})`);
      }
      return {
        dtype,
        shape: ref.shape,
        async read() {
          if (count === 0) return new Float32Array(0);
          const bytes = await dir.readData(entry, ref.offset * item, span * item);
          const flat = toFloat32(bytes, dtype, span);
          return isContiguous(ref.shape, ref.stride) ? flat : gather(flat, 0, ref.shape, ref.stride);
        },
      };
    },
  };
}

async function readEntry(src: ByteSource, dir: Awaited<ReturnType<typeof readZipDirectory>>, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.method !== 0) {
    throw new CheckpointError('not-checkpoint', `${src.name}: ${entry.name} is compressed; PyTorch checkpoints store their entries uncompressed (was the file re-zipped?)`);
  }
  return dir.readData(entry, 0, entry.size);
}
