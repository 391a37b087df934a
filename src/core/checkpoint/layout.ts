/**
 * Checkpoint layout and size detection and key mapping — a line-by-line port of
 * tools/dinobloom/checkpoints.py (read_checkpoint, _flatten_chunks, infer_config, load_checkpoint),
 * with the same messages, so a file is accepted or refused for the same reason in the browser and in
 * Python. src/core/checkpoint/layout.test.ts runs the Python-made fixtures through both.
 *
 *   zenodo-teacher    {"teacher": {"backbone.<key>", "dino_head.*", "ibot_head.*"}, …}: prefix stripped, heads dropped
 *   hf-flat           a flat backbone state dict (MarrLab/DinoBloom pytorch_model_{s,b}.bin)
 *   timm-safetensors  1aurent/vit_*_patch14_224.dinobloom model.safetensors (no mask_token, head.* dropped)
 */
import { CheckpointError } from './errors.ts';
import { PyDict, PyTuple, type PyValue, type TensorRefData } from './pickle.ts';
import { looksLikeSafetensors, readSafetensors } from './safetensors.ts';
import type { ByteSource } from './source.ts';
import { isFloating, numel, type CkptTensor } from './tensor.ts';
import { readTorchZip } from './torchZip.ts';

export type CheckpointLayout = 'zenodo-teacher' | 'hf-flat' | 'timm-safetensors';

export const PATCH_SIZE = 14;
export const IMG_SIZE = 224;
export const NUM_TOKENS = (IMG_SIZE / PATCH_SIZE) ** 2 + 1; // 257

/** Standard DINOv2 sizes: embed dim → [variant, letter, heads, depth] (tools/dinobloom/vit.py SIZES). */
export const SIZES: Record<number, [string, 'S' | 'B' | 'L' | 'G', number, number]> = {
  384: ['vit_small_patch14', 'S', 6, 12],
  768: ['vit_base_patch14', 'B', 12, 12],
  1024: ['vit_large_patch14', 'L', 16, 24],
  1536: ['vit_giant2_patch14', 'G', 24, 40],
};

export interface VitConfig {
  dim: number;
  depth: number;
  numHeads: number;
  patchSize: number;
  imgSize: number;
  ffn: 'mlp' | 'swiglu';
  hidden: number;
}

export interface LoadedCheckpoint {
  name: string;
  source: CheckpointLayout;
  size: 'S' | 'B' | 'L' | 'G' | 'custom';
  variant: string;
  config: VitConfig;
  notes: string[];
  /** every key of the official flat layout, in state_dict order (mask_token zero-filled if absent) */
  tensors: Map<string, CkptTensor>;
  parameters: number;
}

type Raw = Map<string, CkptTensor>;

/** Python's `_sample`: sorted, the first n, then "... (N in all)". */
export function sample(keys: Iterable<string>, n = 6): string {
  const k = [...keys].sort();
  return k.slice(0, n).join(', ') + (k.length > n ? `, ... (${k.length} in all)` : '');
}

const pyList = (a: readonly (number | string)[]): string => `[${a.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}]`;

/** Python's repr() of a bytes object (for the "starts with b'...'" message). */
export function pyBytesRepr(b: Uint8Array): string {
  const hasSingle = b.includes(0x27);
  const quote = hasSingle && !b.includes(0x22) ? '"' : "'";
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === quote.charCodeAt(0)) s += `\\${quote}`;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `b${quote}${s}${quote}`;
}

function pyTypeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if ((v as TensorRefData).kind === 'tensor') return 'Tensor';
  return 'object';
}

const isTensorRef = (v: PyValue | undefined): v is TensorRefData =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && (v as TensorRefData).kind === 'tensor';

// ------------------------------------------------------------------------------------------ reading

/** Read a checkpoint → (raw flat map of tensors with their original names, source layout). */
export async function readCheckpoint(src: ByteSource): Promise<{ raw: Raw; source: CheckpointLayout }> {
  const name = src.name;
  if (src.size === 0) throw new CheckpointError('truncated', `${name}: empty file`);
  const head = await src.read(0, Math.min(16, src.size));
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  if (isZip) {
    const file = await readTorchZip(src);
    const obj = file.root;
    if (!(obj instanceof PyDict)) throw new CheckpointError('not-dinov2', `${name}: expected a state dict, found a ${pyTypeName(obj)}`);
    const teacher = obj.map.get('teacher');
    if (teacher instanceof PyDict) {
      const sd: Raw = new Map();
      const stray: string[] = [];
      for (const [k, v] of teacher.map) {
        const key = String(k);
        if (key.startsWith('backbone.')) {
          if (!isTensorRef(v)) throw new CheckpointError('not-dinov2', `${name}: teacher entry ${key} is a ${pyTypeName(v)}, not a tensor`);
          sd.set(key.slice('backbone.'.length), file.tensor(v));
        } else if (key.startsWith('dino_head.') || key.startsWith('ibot_head.')) {
          continue;
        } else stray.push(key);
      }
      if (stray.length) {
        throw new CheckpointError('key-mismatch', `${name}: teacher checkpoint has unexpected keys outside backbone./dino_head./ibot_head.: ${sample(stray)}`);
      }
      return { raw: sd, source: 'zenodo-teacher' };
    }
    const keys = [...obj.map.keys()].map(String);
    if ([...obj.map.values()].some((v) => !isTensorRef(v))) {
      throw new CheckpointError('not-dinov2', `${name}: not a flat state dict and not a DINOv2 training checkpoint with a 'teacher' entry (top-level keys: ${sample(keys)})`);
    }
    return { raw: new Map([...obj.map].map(([k, v]) => [String(k), file.tensor(v as TensorRefData)])), source: 'hf-flat' };
  }
  if (looksLikeSafetensors(head)) {
    return { raw: new Map(Object.entries(await readSafetensors(src))), source: 'timm-safetensors' };
  }
  if (head[0] === 0x80) {
    throw new CheckpointError(
      'unsupported',
      `${name}: PyTorch's legacy (pre-1.6, non-zip) file format, which the in-browser converter does not read; re-save it with a current PyTorch (torch.save) or convert it with \`npm run convert\``,
    );
  }
  throw new CheckpointError('not-checkpoint', `${name}: not a PyTorch checkpoint (.pth/.bin) or safetensors file (starts with ${pyBytesRepr(head.subarray(0, 8))})`);
}

// -------------------------------------------------------------------------------------- normalising

const CHUNKED = /^blocks\.(\d+)\.(\d+)\.(.+)$/u;
const BLOCK = /^blocks\.(\d+)\./u;

function flattenChunks(sd: Raw): Raw {
  if (![...sd.keys()].some((k) => CHUNKED.test(k))) return sd;
  const out: Raw = new Map();
  for (const [k, v] of sd) {
    const m = CHUNKED.exec(k);
    out.set(m ? `blocks.${m[2]}.${m[3]}` : k, v);
  }
  return out;
}

function looksLike(keys: Iterable<string>): string {
  const ks = new Set(keys);
  const prefixed = [...ks].filter((k) => k.endsWith('.cls_token')).map((k) => k.slice(0, -'cls_token'.length));
  if (prefixed.length) return ` (keys carry a '${prefixed[0]}' prefix; expected the flat backbone layout)`;
  if ([...ks].some((k) => k.startsWith('layer1.')) && (ks.has('conv1.weight') || ks.has('fc.weight'))) return ' (looks like a ResNet/CNN state dict)';
  if ([...ks].some((k) => k.includes('.encoder.layer.') || k.startsWith('encoder.layer.'))) {
    return ' (looks like a Hugging Face transformers model, not the DINOv2/timm layout)';
  }
  return '';
}

/** ViT config, size letter and variant name from tensor shapes (heads: 64-dim unless given). */
export function inferConfig(sd: Raw, name: string, numHeads?: number): { config: VitConfig; size: LoadedCheckpoint['size']; variant: string } {
  const notDino = (m: string) => new CheckpointError('not-dinov2', `${name}: ${m}`);
  const mismatch = (m: string) => new CheckpointError('key-mismatch', `${name}: ${m}`);
  const reg = sd.get('register_tokens');
  if (reg) {
    throw new CheckpointError('registers', `${name}: this is a DINOv2 model with registers (register_tokens ${pyList(reg.shape)}); DinoBloom has no registers, so it is not a DinoBloom checkpoint`);
  }
  const core = ['cls_token', 'pos_embed', 'patch_embed.proj.weight'];
  if (core.some((k) => !sd.has(k))) {
    throw notDino(`not a DINOv2 ViT state dict: missing ${core.filter((k) => !sd.has(k)).join(', ')}${looksLike(sd.keys())}; keys: ${sample(sd.keys())}`);
  }
  const cls = sd.get('cls_token')!.shape;
  const pos = sd.get('pos_embed')!.shape;
  const pw = sd.get('patch_embed.proj.weight')!.shape;
  if (cls.length !== 3 || cls[0] !== 1 || cls[1] !== 1) throw notDino(`cls_token has shape ${pyList(cls)}, expected [1, 1, D]`);
  const dim = cls[2]!;
  if (pw.length !== 4 || pw[0] !== dim || pw[1] !== 3 || pw[2] !== pw[3]) {
    throw notDino(`patch_embed.proj.weight has shape ${pyList(pw)}, expected [${dim}, 3, 14, 14]`);
  }
  if (pw[2] !== PATCH_SIZE) throw notDino(`patch size ${pw[2]}, DinoBloom uses 14`);
  if (!(pos.length === 3 && pos[0] === 1 && pos[1] === NUM_TOKENS && pos[2] === dim)) {
    let extra = '';
    if (pos.length === 3 && Math.trunc(Math.sqrt(pos[1]! - 1)) ** 2 === pos[1]! - 1) {
      const g = Math.trunc(Math.sqrt(pos[1]! - 1));
      extra = ` (a ${g * PATCH_SIZE}-px model, ${g}x${g} patches)`;
    }
    if (pos.length === 3 && (pos[1] === NUM_TOKENS + 4 || pos[1] === NUM_TOKENS + 1)) extra = ' (extra tokens: a registers/distillation model?)';
    throw notDino(`pos_embed has shape ${pyList(pos)}${extra}; DinoBloom needs [1, ${NUM_TOKENS}, ${dim}] (224-px input, 16x16 patches + CLS, no interpolation)`);
  }
  const idx = [...new Set([...sd.keys()].map((k) => BLOCK.exec(k)).filter((m) => m).map((m) => Number(m![1])))].sort((a, b) => a - b);
  if (idx.length === 0) throw notDino('no transformer blocks (blocks.<i>.*) found');
  if (idx.some((v, i) => v !== i)) {
    const have = new Set(idx);
    const missing = Array.from({ length: idx[idx.length - 1]! + 1 }, (_, i) => i).filter((i) => !have.has(i));
    throw mismatch(`missing keys: every key of blocks ${pyList(missing)}`);
  }
  const depth = idx.length;
  let ffn: VitConfig['ffn'];
  let hidden: number;
  if (sd.has('blocks.0.mlp.w12.weight')) (ffn = 'swiglu'), (hidden = Math.trunc(sd.get('blocks.0.mlp.w12.weight')!.shape[0]! / 2));
  else if (sd.has('blocks.0.mlp.fc1.weight')) (ffn = 'mlp'), (hidden = sd.get('blocks.0.mlp.fc1.weight')!.shape[0]!);
  else throw mismatch('missing keys: blocks.0.mlp.fc1.weight (or mlp.w12.weight for SwiGLU)');
  const std = SIZES[dim];
  let heads = numHeads;
  if (heads === undefined) {
    if (!std) {
      throw new CheckpointError('unsupported', `${name}: embed dim ${dim} is not a standard DINOv2 size (384/768/1024/1536); pass the number of attention heads (--num-heads)`);
    }
    heads = std[2];
  }
  if (dim % heads) throw new CheckpointError('invalid', `${name}: embed dim ${dim} is not divisible by ${heads} heads`);
  let size: LoadedCheckpoint['size'];
  let variant: string;
  if (std && depth === std[3] && heads === std[2]) {
    size = std[1];
    variant = std[0];
  } else if (std && heads === std[2]) {
    throw mismatch(
      depth < std[3]
        ? `missing keys: a ${std[1]}-size model (D=${dim}) has ${std[3]} blocks, this file has ${depth} (blocks.${depth}.* onwards missing?)`
        : `unexpected keys: a ${std[1]}-size model (D=${dim}) has ${std[3]} blocks, this file has ${depth}`,
    );
  } else {
    size = 'custom';
    variant = `vit_d${dim}_depth${depth}_h${heads}_patch14`;
  }
  return { config: { dim, depth, numHeads: heads, patchSize: PATCH_SIZE, imgSize: IMG_SIZE, ffn, hidden }, size, variant };
}

/** The official flat state-dict keys and shapes of a config, in state_dict order (vit.py). */
export function expectedShapes(cfg: VitConfig): Map<string, number[]> {
  const d = cfg.dim;
  const h = cfg.hidden || 4 * d;
  const m = new Map<string, number[]>([
    ['cls_token', [1, 1, d]],
    ['pos_embed', [1, (cfg.imgSize / cfg.patchSize) ** 2 + 1, d]],
    ['mask_token', [1, d]],
    ['patch_embed.proj.weight', [d, 3, cfg.patchSize, cfg.patchSize]],
    ['patch_embed.proj.bias', [d]],
  ]);
  for (let i = 0; i < cfg.depth; i++) {
    const b = `blocks.${i}.`;
    m.set(`${b}norm1.weight`, [d]).set(`${b}norm1.bias`, [d]);
    m.set(`${b}attn.qkv.weight`, [3 * d, d]).set(`${b}attn.qkv.bias`, [3 * d]);
    m.set(`${b}attn.proj.weight`, [d, d]).set(`${b}attn.proj.bias`, [d]);
    m.set(`${b}ls1.gamma`, [d]);
    m.set(`${b}norm2.weight`, [d]).set(`${b}norm2.bias`, [d]);
    if (cfg.ffn === 'swiglu') {
      m.set(`${b}mlp.w12.weight`, [2 * h, d]).set(`${b}mlp.w12.bias`, [2 * h]);
      m.set(`${b}mlp.w3.weight`, [d, h]).set(`${b}mlp.w3.bias`, [d]);
    } else {
      m.set(`${b}mlp.fc1.weight`, [h, d]).set(`${b}mlp.fc1.bias`, [h]);
      m.set(`${b}mlp.fc2.weight`, [d, h]).set(`${b}mlp.fc2.bias`, [d]);
    }
    m.set(`${b}ls2.gamma`, [d]);
  }
  m.set('norm.weight', [d]).set('norm.bias', [d]);
  return m;
}

const OPTIONAL_KEYS = new Set(['mask_token']);

function zeros(shape: number[]): CkptTensor {
  return { dtype: 'float32', shape, read: async () => new Float32Array(numel(shape)) };
}

/** Read, detect, normalise and strictly check a checkpoint (checkpoints.py load_checkpoint). */
export async function loadCheckpoint(src: ByteSource, numHeads?: number): Promise<LoadedCheckpoint> {
  const name = src.name;
  const { raw, source } = await readCheckpoint(src);
  const sd = flattenChunks(raw);
  const notes: string[] = [];
  const headKeys = [...sd.keys()].filter((k) => k.startsWith('head.'));
  if (source === 'timm-safetensors' && headKeys.length) {
    if (headKeys.some((k) => numel(sd.get(k)!.shape) > 0)) {
      notes.push(`ignored timm classifier ${headKeys.join(', ')} (the bundle exports the embedding; its head comes from train-head)`);
    }
    for (const k of headKeys) sd.delete(k);
  } else if (headKeys.length && headKeys.every((k) => numel(sd.get(k)!.shape) === 0)) {
    for (const k of headKeys) sd.delete(k);
  }
  const { config, size, variant } = inferConfig(sd, name, numHeads);
  const expected = expectedShapes(config);
  const missing = [...expected.keys()].filter((k) => !sd.has(k) && !OPTIONAL_KEYS.has(k));
  const unexpected = [...sd.keys()].filter((k) => !expected.has(k));
  if (unexpected.length) throw new CheckpointError('key-mismatch', `${name}: unexpected keys: ${sample(unexpected)}`);
  if (missing.length) throw new CheckpointError('key-mismatch', `${name}: missing keys: ${sample(missing)}`);
  const bad = [...sd]
    .filter(([k, v]) => v.shape.length !== expected.get(k)!.length || v.shape.some((d, i) => d !== expected.get(k)![i]))
    .map(([k, v]) => `${k} ${pyList(v.shape)} (expected ${pyList(expected.get(k)!)})`);
  if (bad.length) throw new CheckpointError('key-mismatch', `${name}: shape mismatch: ${bad.slice(0, 4).join('; ')}`);
  const dtypes = [...new Set([...sd.values()].map((v) => v.dtype))].sort();
  if (![...sd.values()].every((v) => isFloating(v.dtype))) {
    throw new CheckpointError('invalid', `${name}: non-floating-point tensors in the state dict (${pyList(dtypes)})`);
  }
  if (dtypes.length !== 1 || dtypes[0] !== 'float32') notes.push(`weights stored as ${dtypes.join('/')}; converted to float32`);
  const tensors = new Map<string, CkptTensor>();
  for (const [k, shape] of expected) tensors.set(k, sd.get(k) ?? zeros(shape));
  if (!sd.has('mask_token')) notes.push('no mask_token (training-only) in the file; zero-filled');
  const parameters = [...expected].filter(([k]) => k !== 'mask_token').reduce((s, [, shape]) => s + numel(shape), 0);
  return { name, source, size, variant, config, notes, tensors, parameters };
}

/**
 * The NaN/Inf check of load_checkpoint, done while the tensors stream by: `check` each tensor's values
 * as they are read, then `throwIfAny` (same message as the Python converter).
 */
export class FiniteCheck {
  private readonly bad = new Set<string>();
  constructor(private readonly name: string) {}

  check(key: string, v: Float32Array): void {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!)) {
        this.bad.add(key);
        return;
      }
    }
  }

  throwIfAny(): void {
    if (this.bad.size) throw new CheckpointError('invalid', `${this.name}: NaN/Inf values in ${sample(this.bad, 3)}`);
  }
}
