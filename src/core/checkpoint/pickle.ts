/**
 * A restricted unpickler for PyTorch state dicts, written for this converter. Python's pickle is a
 * small stack machine whose GLOBAL/REDUCE opcodes import and call any Python function — a crafted
 * checkpoint runs code when loaded with plain torch.load. This reader runs nothing: it understands
 * the opcodes a state dict needs (protocols 2–5 values, containers, memo, persistent ids) and knows
 * exactly the globals a state dict names, each replaced by a small pure function here:
 *
 *   collections.OrderedDict                       → an ordered dict
 *   torch._utils._rebuild_tensor_v2               → a tensor reference (storage, offset, shape, stride)
 *   torch._utils._rebuild_parameter(_with_state)  → the tensor inside the Parameter
 *   torch.{Float,Half,BFloat16,Double,…}Storage   → a storage type, used only inside persistent ids
 *
 * Any other global — os.system, builtins.eval, argparse.Namespace, numpy arrays… — stops the read at
 * once with its name. Values are plain data (PyDict, PyTuple, arrays, numbers, strings).
 */
import { CheckpointError } from './errors.ts';

export type PyKey = string | number | boolean | null;
export type PyValue = PyKey | Uint8Array | PyValue[] | PyTuple | PyDict | PyGlobal | StorageType | TensorRefData | StorageRef;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly map = new Map<PyKey, PyValue>();
  constructor(readonly ordered = false) {}
}

/** A whitelisted callable (only these can ever be on the stack). */
export class PyGlobal {
  constructor(
    readonly qualname: string,
    readonly call: (args: PyValue[]) => PyValue,
  ) {}
}

export type StorageDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export class StorageType {
  constructor(readonly dtype: StorageDtype) {}
}

/** What a persistent id resolves to (the caller's storage lookup). */
export interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: StorageDtype;
  readonly numel: number;
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …) */
export interface TensorRefData {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

const STORAGES: Record<string, StorageDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

function isInt(v: PyValue): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function intList(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || !items.every(isInt)) throw new Error(`${what} is not a tuple of integers`);
  return items as number[];
}

function isStorage(v: PyValue): v is StorageRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as StorageRef).kind === 'storage';
}

function rebuildTensor(args: PyValue[]): TensorRefData {
  const [storage, offset, size, stride] = args;
  if (!isStorage(storage ?? null) || !isInt(offset ?? null)) throw new Error('_rebuild_tensor_v2 called without a storage and offset');
  const shape = intList(size ?? null, 'tensor size');
  const strides = intList(stride ?? null, 'tensor stride');
  if (shape.length !== strides.length) throw new Error('tensor size and stride differ in length');
  return { kind: 'tensor', storage: storage as StorageRef, offset: offset as number, shape, stride: strides };
}

function orderedDict(args: PyValue[]): PyDict {
  const d = new PyDict(true);
  const items = args[0];
  if (Array.isArray(items)) {
    for (const it of items) {
      if (!(it instanceof PyTuple) || it.items.length !== 2) throw new Error('OrderedDict items are not pairs');
      d.map.set(asKey(it.items[0]!), it.items[1]!);
    }
  }
  return d;
}

/** The globals a state dict may name, each a pure function. */
function resolveGlobal(module: string, name: string): PyGlobal | StorageType | null {
  const q = `${module}.${name}`;
  if (q === 'collections.OrderedDict') return new PyGlobal(q, orderedDict);
  if (q === 'torch._utils._rebuild_tensor_v2') return new PyGlobal(q, rebuildTensor);
  if (q === 'torch._utils._rebuild_parameter' || q === 'torch._utils._rebuild_parameter_with_state') {
    return new PyGlobal(q, (args) => {
      const t = args[0];
      if (typeof t !== 'object' || t === null || (t as TensorRefData).kind !== 'tensor') throw new Error('_rebuild_parameter without a tensor');
      return t as TensorRefData;
    });
  }
  if (module === 'torch' && name in STORAGES) return new StorageType(STORAGES[name]!);
  return null;
}

function asKey(v: PyValue): PyKey {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new Error('a dict key that is not a string or number');
}

export interface UnpickleOptions {
  /** file name, for messages */
  name: string;
  /** Resolves a BINPERSID tuple ('storage', StorageType, key, location, numel). */
  persistentLoad(storage: StorageType, key: string, numel: number): StorageRef;
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

class Truncated extends Error {}

/**
 * Unpickle `data`. Throws CheckpointError: 'refused-pickle' naming the global or opcode that is not a
 * state dict's, 'truncated' when the stream ends early.
 */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  const need = (n: number): number => {
    if (pos + n > data.length) throw new Truncated();
    const at = pos;
    pos += n;
    return at;
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new Truncated();
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const refuse = (what: string): CheckpointError =>
    new CheckpointError(
      'refused-pickle',
      `${opts.name}: asks for ${what}: not a weights file, refused (a PyTorch file that names other Python objects can run code when loaded; only tensors and plain containers are read, nothing is executed)`,
    );

  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new Error('stack underflow');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new Error('stack underflow');
    return v;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error('missing MARK');
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const pushGlobal = (module: string, name: string): void => {
    const g = resolveGlobal(module, name);
    if (!g) throw refuse(`${module}.${name}`);
    stack.push(g);
  };
  const setItems = (d: PyValue, kv: PyValue[]): void => {
    if (!(d instanceof PyDict)) throw new Error('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) d.map.set(asKey(kv[i]!), kv[i + 1]!);
  };
  const str = (n: number): string => text.decode(data.subarray(need(n), pos));

  try {
    for (;;) {
      const op = data[need(1)]!;
      switch (op) {
        case 0x80: // PROTO
          if (data[need(1)]! > 5) throw refuse('a pickle protocol newer than 5');
          break;
        case 0x95: // FRAME
          need(8);
          break;
        case 0x2e: // STOP
          return pop();
        case 0x28: // MARK
          stack.push(MARK);
          break;
        case 0x29: // EMPTY_TUPLE
          stack.push(new PyTuple([]));
          break;
        case 0x5d: // EMPTY_LIST
          stack.push([]);
          break;
        case 0x7d: // EMPTY_DICT
          stack.push(new PyDict());
          break;
        case 0x4e: // NONE
          stack.push(null);
          break;
        case 0x88: // NEWTRUE
          stack.push(true);
          break;
        case 0x89: // NEWFALSE
          stack.push(false);
          break;
        case 0x4b: // BININT1
          stack.push(data[need(1)]!);
          break;
        case 0x4d: // BININT2
          stack.push(view.getUint16(need(2), true));
          break;
        case 0x4a: // BININT
          stack.push(view.getInt32(need(4), true));
          break;
        case 0x8a: // LONG1
        case 0x8b: {
          // LONG4: little-endian two's complement
          const n = op === 0x8a ? data[need(1)]! : view.getUint32(need(4), true);
          const bytes = data.subarray(need(n), pos);
          let v = 0n;
          for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
          if (n > 0 && bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error('an integer too large for this reader');
          stack.push(Number(v));
          break;
        }
        case 0x47: // BINFLOAT (big-endian)
          stack.push(view.getFloat64(need(8), false));
          break;
        case 0x58: // BINUNICODE
          stack.push(str(view.getUint32(need(4), true)));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.push(str(data[need(1)]!));
          break;
        case 0x8d: // BINUNICODE8
          stack.push(str(Number(view.getBigUint64(need(8), true))));
          break;
        case 0x54: // BINSTRING
        case 0x55: {
          // SHORT_BINSTRING (Python 2 str)
          const n = op === 0x55 ? data[need(1)]! : view.getUint32(need(4), true);
          stack.push(latin1.decode(data.subarray(need(n), pos)));
          break;
        }
        case 0x43: // SHORT_BINBYTES
        case 0x42: // BINBYTES
        case 0x8e: {
          // BINBYTES8
          const n = op === 0x43 ? data[need(1)]! : op === 0x42 ? view.getUint32(need(4), true) : Number(view.getBigUint64(need(8), true));
          stack.push(data.slice(need(n), pos));
          break;
        }
        case 0x71: // BINPUT
          memo.set(data[need(1)]!, top());
          break;
        case 0x72: // LONG_BINPUT
          memo.set(view.getUint32(need(4), true), top());
          break;
        case 0x94: // MEMOIZE
          memo.set(memo.size, top());
          break;
        case 0x68: // BINGET
        case 0x6a: {
          // LONG_BINGET
          const i = op === 0x68 ? data[need(1)]! : view.getUint32(need(4), true);
          if (!memo.has(i)) throw new Error(`memo entry ${i} missing`);
          stack.push(memo.get(i)!);
          break;
        }
        case 0x30: // POP
          stack.pop();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          stack.push(top());
          break;
        case 0x74: // TUPLE
          stack.push(new PyTuple(popMark()));
          break;
        case 0x85: // TUPLE1
          stack.push(new PyTuple([pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b = pop();
          stack.push(new PyTuple([pop(), b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = pop();
          const b = pop();
          stack.push(new PyTuple([pop(), b, c]));
          break;
        }
        case 0x6c: // LIST
          stack.push(popMark());
          break;
        case 0x61: {
          // APPEND
          const v = pop();
          const l = top();
          if (!Array.isArray(l)) throw new Error('APPEND to something that is not a list');
          l.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = popMark();
          const l = top();
          if (!Array.isArray(l)) throw new Error('APPENDS to something that is not a list');
          l.push(...items);
          break;
        }
        case 0x64: {
          // DICT
          const d = new PyDict();
          setItems(d, popMark());
          stack.push(d);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = pop();
          const k = pop();
          setItems(top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const kv = popMark();
          setItems(top(), kv);
          break;
        }
        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = line();
          pushGlobal(module, line());
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw new Error('STACK_GLOBAL without names');
          pushGlobal(module, name);
          break;
        }
        case 0x69: {
          // INST "module\nname\n": builds an object of any class
          const module = line();
          throw refuse(`${module}.${line()}`);
        }
        case 0x52: {
          // REDUCE: callable(*args) — callable can only be one of ours
          const args = pop();
          const fn = pop();
          if (!(fn instanceof PyGlobal)) throw refuse('a call of something that is not a known state-dict function');
          if (!(args instanceof PyTuple)) throw new Error('REDUCE without an argument tuple');
          stack.push(fn.call(args.items));
          break;
        }
        case 0x62: {
          // BUILD: state for the object below; only OrderedDict's attributes (state_dict()._metadata) occur
          const state = pop();
          const obj = top();
          if (!(obj instanceof PyDict) || !(state instanceof PyDict || state === null)) throw refuse('object state for something other than a dict');
          break;
        }
        case 0x51: {
          // BINPERSID: ('storage', StorageType, key, location, numel)
          const pid = pop();
          const t = pid instanceof PyTuple ? pid.items : null;
          if (!t || t[0] !== 'storage' || !(t[1] instanceof StorageType) || typeof t[2] !== 'string' || !isInt(t[4] ?? null)) {
            throw refuse('a persistent object that is not a tensor storage');
          }
          stack.push(opts.persistentLoad(t[1], t[2], t[4] as number));
          break;
        }
        default:
          throw refuse(`pickle opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}), which state dicts do not use`);
      }
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    if (e instanceof Truncated) {
      throw new CheckpointError('truncated', `${opts.name}: truncated or corrupt PyTorch checkpoint (${data.length}-byte data.pkl ends in the middle)`);
    }
    throw new CheckpointError('truncated', `${opts.name}: truncated or corrupt PyTorch checkpoint (data.pkl: ${(e as Error).message} at byte ${pos})`);
  }
}
