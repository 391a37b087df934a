import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  BundleError,
  keepSecondViewGate,
  pickVariant,
  SECOND_VIEW_GATE_FILE,
  secondViewGate,
  sha256Hex,
  validateManifest,
  verifyBundleFile,
  type BundleManifest,
} from './manifest.ts';

const schema = JSON.parse(readFileSync(new URL('./manifest.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
const ajvValidate = ajv.compile(schema);

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);

function good(): BundleManifest {
  return {
    formatVersion: 1,
    id: 'dinobloom-s-pbc',
    name: 'DinoBloom-S (PBC head)',
    version: '1.0.0',
    description: 'test',
    testModel: false,
    architecture: { family: 'dinov2-vit', variant: 'vit_small_patch14', patchSize: 14, depth: 12, numHeads: 6, source: 'zenodo-teacher', extra: 1 },
    embeddingDim: 384,
    input: { name: 'pixel_values', size: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'whole-bilinear-antialias' },
    output: { name: 'embedding' },
    encoder: {
      variants: [
        { precision: 'fp32', file: 'encoder.fp32.onnx', bytes: 88_000_000, sha256: SHA_A, backends: ['wasm', 'webgpu'], verification: { maxAbsDiff: 1e-4, minCosine: 0.9999, inputs: 'pbc fixtures' } },
        { precision: 'int8', file: 'encoder.int8.onnx', bytes: 23_000_000, sha256: SHA_B, backends: ['wasm'] },
        { precision: 'fp16', file: 'encoder.fp16.onnx', bytes: 44_000_000, sha256: SHA_B, backends: ['webgpu'] },
      ],
    },
    head: { type: 'linear-softmax', classes: ['basophil', 'eosinophil', 'neutrophil'], file: 'head.json', bytes: 1234, sha256: SHA_A, trainedOn: 'PBC train' },
    shift: { format: 'dinobloom-shift-stats-v1', file: 'shift.json', bytes: 51234, sha256: SHA_B },
    unidentifiedThreshold: 0.5,
    licence: 'Apache-2.0',
    citation: 'Koch et al., DinoBloom, MICCAI 2024',
    dataCredit: 'PBC dataset, CC BY 4.0',
    metrics: { valBalancedAccuracy: 0.9 },
    convertedFrom: {
      file: 'DinoBloom-S.pth',
      bytes: 88_275_000,
      sha256: SHA_B,
      layout: 'zenodo-teacher',
      official: 'DinoBloom-S (Zenodo)',
      converter: 'in-browser',
      notes: ['no mask_token (training-only) in the file; zero-filled'],
    },
  };
}

type Json = Record<string, unknown>;
const clone = (): Json => JSON.parse(JSON.stringify(good())) as Json;
const at = (o: Json, path: string): Json => path.split('.').reduce<Json>((acc, k) => acc[k] as Json, o);

/** [description, mutation] — each yields an invalid manifest */
const broken: [string, (m: Json) => void, RegExp?][] = [
  ['formatVersion 2', (m) => (m.formatVersion = 2), /^formatVersion 2 is not supported \(this app reads formatVersion 1\)$/],
  ['formatVersion string', (m) => (m.formatVersion = '1')],
  ['id uppercase', (m) => (m.id = 'DinoBloom'), /^id must be/],
  ['id too long', (m) => (m.id = 'a'.repeat(65))],
  ['id leading dash', (m) => (m.id = '-abc')],
  ['id with slash', (m) => (m.id = 'a/b')],
  ['id trailing newline', (m) => (m.id = 'abc\n')],
  ['name empty', (m) => (m.name = ''), /^name must not be empty$/],
  ['name too long', (m) => (m.name = 'x'.repeat(201))],
  ['version too long', (m) => (m.version = 'v'.repeat(51))],
  ['description too long (code points)', (m) => (m.description = '😀'.repeat(2001))],
  ['testModel string', (m) => (m.testModel = 'yes')],
  ['secondView quarterTurns 4', (m) => (at(m, 'encoder').secondView = { quarterTurns: 4, belowConfidence: 0.8 }), /^encoder\.secondView\.quarterTurns must be/],
  ['secondView belowConfidence 0', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0 })],
  ['secondView belowConfidence above 1', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 1.5 })],
  ['secondView missing threshold', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1 }), /encoder\.secondView is missing required property "belowConfidence"/],
  ['secondView unknown key', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8, views: 2 })],
  ['secondView without a head', (m) => { at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8 }; delete m.head; }, /^encoder\.secondView needs the bundle's own head or a gate/],
  ['secondView gate without sha256', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8, gate: { file: 'g.json', bytes: 10 } }), /encoder\.secondView\.gate is missing required property "sha256"/],
  ['secondView gate bad file name', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8, gate: { file: '../head.json', bytes: 10, sha256: SHA_A } }), /^encoder\.secondView\.gate\.file/],
  ['secondView gate zero bytes', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8, gate: { file: 'g.json', bytes: 0, sha256: SHA_A } }), /^encoder\.secondView\.gate\.bytes/],
  ['secondView gate extra key', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8, gate: { file: 'g.json', bytes: 10, sha256: SHA_A, classes: ['a'] } })],
  ['architecture missing family', (m) => delete at(m, 'architecture').family, /architecture is missing required property "family"/],
  ['architecture bad family', (m) => (at(m, 'architecture').family = 'resnet')],
  ['architecture depth 0', (m) => (at(m, 'architecture').depth = 0)],
  ['architecture patchSize float', (m) => (at(m, 'architecture').patchSize = 14.5)],
  ['architecture not object', (m) => (m.architecture = ['dinov2-vit'])],
  ['embeddingDim 0', (m) => (m.embeddingDim = 0)],
  ['embeddingDim too big', (m) => (m.embeddingDim = 8193)],
  ['embeddingDim float', (m) => (m.embeddingDim = 384.5)],
  ['input missing resize', (m) => delete at(m, 'input').resize],
  ['input extra key', (m) => (at(m, 'input').crop = 'center'), /input has unknown property "crop"/],
  ['input size 7', (m) => (at(m, 'input').size = 7)],
  ['input size 1025', (m) => (at(m, 'input').size = 1025)],
  ['input mean 2 items', (m) => (at(m, 'input').mean = [0.1, 0.2]), /input\.mean must have exactly 3 items/],
  ['input mean string item', (m) => (at(m, 'input').mean = [0.1, '0.2', 0.3])],
  ['input std zero', (m) => (at(m, 'input').std = [0.2, 0, 0.2]), /input\.std\[1\] must be > 0/],
  ['input resize other', (m) => (at(m, 'input').resize = 'center-crop')],
  ['input name empty', (m) => (at(m, 'input').name = '')],
  ['cell-centred without margin', (m) => (at(m, 'input').resize = 'cell-centred-v1'), /input is missing required property "margin"/],
  ['margin with the whole-crop resize', (m) => (at(m, 'input').margin = 0.5), /input\.margin is only allowed with input\.resize "cell-centred-v1"/],
  ['cell-centred margin < 0', (m) => Object.assign(at(m, 'input'), { resize: 'cell-centred-v1', margin: -0.1 }), /input\.margin must be >= 0/],
  ['cell-centred margin > 2', (m) => Object.assign(at(m, 'input'), { resize: 'cell-centred-v1', margin: 2.5 })],
  ['cell-centred margin string', (m) => Object.assign(at(m, 'input'), { resize: 'cell-centred-v1', margin: '0.5' })],
  ['margin with an unknown resize', (m) => Object.assign(at(m, 'input'), { resize: 'center-crop', margin: 0.5 })],
  ['output missing name', (m) => (m.output = {})],
  ['output extra', (m) => (m.output = { name: 'x', dtype: 'f32' })],
  ['encoder no variants', (m) => (at(m, 'encoder').variants = []), /encoder\.variants must have at least 1 item/],
  ['encoder extra', (m) => (at(m, 'encoder').default = 'fp32')],
  ['variant bad sha', (m) => ((at(m, 'encoder').variants as Json[])[1]!.sha256 = 'ABC'), /^encoder\.variants\[1\]\.sha256 must be 64 lowercase hex characters$/],
  ['variant uppercase sha', (m) => ((at(m, 'encoder').variants as Json[])[0]!.sha256 = 'A'.repeat(64))],
  ['variant path traversal', (m) => ((at(m, 'encoder').variants as Json[])[0]!.file = '../secret.onnx'), /encoder\.variants\[0\]\.file must be a plain file name/],
  ['variant file with folder', (m) => ((at(m, 'encoder').variants as Json[])[0]!.file = 'models/encoder.onnx')],
  ['variant bytes 0', (m) => ((at(m, 'encoder').variants as Json[])[0]!.bytes = 0)],
  ['variant bytes float', (m) => ((at(m, 'encoder').variants as Json[])[0]!.bytes = 1.5)],
  ['variant precision bf16', (m) => ((at(m, 'encoder').variants as Json[])[0]!.precision = 'bf16')],
  ['variant backends empty', (m) => ((at(m, 'encoder').variants as Json[])[0]!.backends = [])],
  ['variant backend webgl', (m) => ((at(m, 'encoder').variants as Json[])[0]!.backends = ['webgl']), /encoder\.variants\[0\]\.backends\[0\] must be one of "wasm", "webgpu"/],
  ['variant missing sha', (m) => delete (at(m, 'encoder').variants as Json[])[2]!.sha256],
  ['variant extra key', (m) => ((at(m, 'encoder').variants as Json[])[0]!.url = 'http://x')],
  ['variant verification not object', (m) => ((at(m, 'encoder').variants as Json[])[0]!.verification = 3)],
  ['variant verification bad number', (m) => ((at(m, 'encoder').variants as Json[])[0]!.verification = { maxAbsDiff: 'small' })],
  ['variant null', (m) => ((at(m, 'encoder').variants as unknown[])[0] = null)],
  ['head wrong type', (m) => (at(m, 'head').type = 'mlp')],
  ['head one class', (m) => (at(m, 'head').classes = ['a'])],
  ['head duplicate classes', (m) => (at(m, 'head').classes = ['a', 'b', 'a']), /head\.classes\[2\] duplicates head\.classes\[0\]/],
  ['head empty class', (m) => (at(m, 'head').classes = ['a', ''])],
  ['head class too long', (m) => (at(m, 'head').classes = ['a', 'b'.repeat(65)])],
  ['head missing sha', (m) => delete at(m, 'head').sha256],
  ['head extra key', (m) => (at(m, 'head').weights = [])],
  ['head trainedOn number', (m) => (at(m, 'head').trainedOn = 2024)],
  ['shift wrong format', (m) => (at(m, 'shift').format = 'dinobloom-shift-stats-v2'), /^shift\.format must be "dinobloom-shift-stats-v1"/],
  ['shift file with folder', (m) => (at(m, 'shift').file = '../shift.json'), /^shift\.file must be a plain file name/],
  ['shift bytes 0', (m) => (at(m, 'shift').bytes = 0)],
  ['shift bad sha', (m) => (at(m, 'shift').sha256 = 'xyz'), /^shift\.sha256 must be 64 lowercase hex/],
  ['shift missing sha', (m) => delete at(m, 'shift').sha256, /shift is missing required property "sha256"/],
  ['shift extra key', (m) => (at(m, 'shift').threshold = 3), /shift has unknown property "threshold"/],
  ['shift not object', (m) => (m.shift = 'shift.json')],
  ['threshold > 1', (m) => (m.unidentifiedThreshold = 1.5)],
  ['threshold < 0', (m) => (m.unidentifiedThreshold = -0.1)],
  ['threshold string', (m) => (m.unidentifiedThreshold = '0.5')],
  ['licence empty', (m) => (m.licence = '')],
  ['citation missing', (m) => delete m.citation, /manifest is missing required property "citation"/],
  ['dataCredit number', (m) => (m.dataCredit = 1)],
  ['metrics array', (m) => (m.metrics = [1])],
  ['unknown top-level key', (m) => (m.extra = true), /manifest has unknown property "extra"/],
  ['convertedFrom not object', (m) => (m.convertedFrom = 'DinoBloom-S.pth')],
  ['convertedFrom missing sha256', (m) => delete at(m, 'convertedFrom').sha256, /convertedFrom is missing required property "sha256"/],
  ['convertedFrom missing layout', (m) => delete at(m, 'convertedFrom').layout],
  ['convertedFrom missing file', (m) => delete at(m, 'convertedFrom').file],
  ['convertedFrom bad layout', (m) => (at(m, 'convertedFrom').layout = 'onnx'), /convertedFrom\.layout must be one of/],
  ['convertedFrom uppercase sha', (m) => (at(m, 'convertedFrom').sha256 = 'A'.repeat(64))],
  ['convertedFrom empty file', (m) => (at(m, 'convertedFrom').file = '')],
  ['convertedFrom file too long', (m) => (at(m, 'convertedFrom').file = 'f'.repeat(261))],
  ['convertedFrom negative bytes', (m) => (at(m, 'convertedFrom').bytes = -1)],
  ['convertedFrom notes not array', (m) => (at(m, 'convertedFrom').notes = 'x')],
  ['convertedFrom note number', (m) => (at(m, 'convertedFrom').notes = ['a', 2])],
  ['convertedFrom extra key', (m) => (at(m, 'convertedFrom').url = 'https://zenodo.org'), /convertedFrom has unknown property "url"/],
  ...(['formatVersion', 'id', 'name', 'version', 'architecture', 'embeddingDim', 'input', 'encoder', 'unidentifiedThreshold', 'licence'] as const).map(
    (k): [string, (m: Json) => void] => [`missing ${k}`, (m) => delete m[k]],
  ),
];

const goodVariants: [string, (m: Json) => void][] = [
  ['as is', () => {}],
  ['encoder-only (no head)', (m) => delete m.head],
  ['no shift statistics (checks off)', (m) => delete m.shift],
  ['a second view for doubtful cells', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8 })],
  ['a second view with its own gate', (m) => (at(m, 'encoder').secondView = { quarterTurns: 1, belowConfidence: 0.8, gate: { file: 'second-view-gate.json', bytes: 10, sha256: SHA_B } })],
  ['a second view with its own gate and no head', (m) => { at(m, 'encoder').secondView = { quarterTurns: 3, belowConfidence: 0.9, gate: { file: 'g.json', bytes: 10, sha256: SHA_A } }; delete m.head; }],
  ['minimal', (m) => {
    for (const k of ['description', 'testModel', 'output', 'head', 'shift', 'dataCredit', 'metrics', 'convertedFrom']) delete m[k];
    m.architecture = { family: 'cnn', variant: 'cellnet-compact' };
  }],
  ['threshold bounds', (m) => (m.unidentifiedThreshold = 0)],
  ['threshold 1', (m) => (m.unidentifiedThreshold = 1)],
  ['id max length', (m) => (m.id = `a${'b'.repeat(63)}`)],
  ['name 200 emoji (code points)', (m) => (m.name = '😀'.repeat(200))],
  ['negative mean', (m) => (at(m, 'input').mean = [-1, 0, 1e3])],
  ['duplicate backends allowed by schema', (m) => ((at(m, 'encoder').variants as Json[])[0]!.backends = ['wasm', 'wasm'])],
  ['verification extra keys', (m) => ((at(m, 'encoder').variants as Json[])[0]!.verification = { note: 'x' })],
  ['empty metrics', (m) => (m.metrics = {})],
  ['cell-centred input', (m) => Object.assign(at(m, 'input'), { resize: 'cell-centred-v1', margin: 0.5 })],
  ['cell-centred margin 0', (m) => Object.assign(at(m, 'input'), { resize: 'cell-centred-v1', margin: 0 })],
  ['cell-centred margin 2', (m) => Object.assign(at(m, 'input'), { resize: 'cell-centred-v1', margin: 2 })],
  ['convertedFrom minimal', (m) => (m.convertedFrom = { file: 'model.safetensors', sha256: SHA_A, layout: 'timm-safetensors' })],
  ['convertedFrom without it', (m) => delete m.convertedFrom],
  ['convertedFrom zero bytes, no notes', (m) => (m.convertedFrom = { file: 'x.bin', bytes: 0, sha256: SHA_A, layout: 'hf-flat', notes: [] })],
];

describe('validateManifest', () => {
  for (const [name, mutate] of goodVariants) {
    it(`accepts a good manifest: ${name} (ajv agrees)`, () => {
      const m = clone();
      mutate(m);
      const r = validateManifest(m);
      expect(r.ok ? [] : r.errors).toEqual([]);
      expect(ajvValidate(m)).toBe(true);
    });
  }

  for (const [name, mutate, message] of broken) {
    it(`rejects: ${name} (ajv agrees)`, () => {
      const m = clone();
      mutate(m);
      const r = validateManifest(m);
      expect(r.ok).toBe(false);
      expect(ajvValidate(m)).toBe(false);
      if (!r.ok) {
        expect(r.errors.length).toBeGreaterThan(0);
        if (message) expect(r.errors.some((e) => message.test(e)), r.errors.join('\n')).toBe(true);
      }
    });
  }

  it('rejects non-objects', () => {
    for (const v of [null, 1, 'x', [], true]) {
      expect(validateManifest(v).ok).toBe(false);
      expect(ajvValidate(v)).toBe(false);
    }
  });

  it('reports every problem at once', () => {
    const m = clone();
    m.id = 'BAD';
    at(m, 'input').size = 2;
    delete m.licence;
    const r = validateManifest(m);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(3);
  });

  it('validates the bundles shipped in public/models (when present)', () => {
    const root = new URL('../../public/models/', import.meta.url);
    if (!existsSync(root)) return;
    for (const dir of readdirSync(root)) {
      const file = new URL(`${dir}/manifest.json`, root);
      if (!existsSync(file)) continue;
      const m = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      const r = validateManifest(m);
      expect(r.ok ? [] : r.errors, dir).toEqual([]);
      expect(ajvValidate(m), dir).toBe(true);
    }
  });
});

describe('sha256Hex / verifyBundleFile', () => {
  it('matches known vectors', async () => {
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const buf = new TextEncoder().encode('xxabcxx');
    expect(await sha256Hex(buf.subarray(2, 5))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(new TextEncoder().encode('abc').buffer)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  const data = new TextEncoder().encode('abc');
  const entry = { file: 'head.json', bytes: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' };

  it('passes a matching file', async () => {
    await expect(verifyBundleFile(entry, data)).resolves.toBeUndefined();
  });

  it('names the file when missing, wrong size or wrong hash', async () => {
    const cases: [Uint8Array | undefined, RegExp][] = [
      [undefined, /head\.json is missing/],
      [new TextEncoder().encode('abcd'), /head\.json has 4 bytes but the manifest says 3/],
      [new TextEncoder().encode('abd'), /head\.json is corrupt.*sha256/],
    ];
    for (const [d, re] of cases) {
      const err = await verifyBundleFile(entry, d).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BundleError);
      expect((err as BundleError).file).toBe('head.json');
      expect((err as BundleError).message).toMatch(re);
    }
  });
});

describe('pickVariant', () => {
  const m = good();
  it('wasm prefers int8, then fp32', () => {
    expect(pickVariant(m, 'wasm', {})?.precision).toBe('int8');
    expect(pickVariant(m, 'wasm', { prefer: 'fp32' })?.precision).toBe('fp32');
    const noInt8 = { encoder: { variants: m.encoder.variants.filter((v) => v.precision !== 'int8') } };
    expect(pickVariant(noInt8, 'wasm', {})?.precision).toBe('fp32');
  });
  it('webgpu uses fp16 only with shader-f16', () => {
    expect(pickVariant(m, 'webgpu', { shaderF16: true })?.precision).toBe('fp16');
    expect(pickVariant(m, 'webgpu', { shaderF16: false })?.precision).toBe('fp32');
    expect(pickVariant(m, 'webgpu', {})?.precision).toBe('fp32');
    expect(pickVariant(m, 'webgpu', { prefer: 'fp16' })?.precision).toBe('fp32');
    expect(pickVariant(m, 'webgpu', { shaderF16: true, prefer: 'fp32' })?.precision).toBe('fp32');
  });
  it('never returns a variant that does not list the backend', () => {
    expect(pickVariant(m, 'webgpu', { prefer: 'int8' })?.precision).toBe('fp32'); // int8 is wasm-only here
    const gpuOnly = { encoder: { variants: m.encoder.variants.filter((v) => v.precision === 'fp16') } };
    expect(pickVariant(gpuOnly, 'wasm', {})).toBeUndefined();
    expect(pickVariant(gpuOnly, 'webgpu', {})).toBeUndefined();
    expect(pickVariant(gpuOnly, 'webgpu', { shaderF16: true })?.precision).toBe('fp16');
  });
});

describe('the second view\'s gate', () => {
  const withView = (): BundleManifest => ({ ...good(), encoder: { ...good().encoder, secondView: { quarterTurns: 1, belowConfidence: 0.9 } } });

  it('is the bundle\'s head unless the manifest names a gate file; none without a second view', () => {
    expect(secondViewGate(good())).toBeNull();
    expect(secondViewGate(withView())).toEqual(good().head);
    const gate = { file: 'g.json', bytes: 5, sha256: SHA_B };
    const m = withView();
    m.encoder.secondView!.gate = gate;
    expect(secondViewGate(m)).toEqual(gate);
  });

  it('keepSecondViewGate pins the head as the gate before the head is replaced, and says which file to copy', () => {
    const m = withView();
    const { manifest, copy } = keepSecondViewGate(m);
    expect(copy).toEqual({ from: m.head!.file, to: SECOND_VIEW_GATE_FILE });
    expect(manifest.encoder.secondView).toEqual({ quarterTurns: 1, belowConfidence: 0.9, gate: { file: SECOND_VIEW_GATE_FILE, bytes: m.head!.bytes, sha256: m.head!.sha256 } });
    expect(m.encoder.secondView!.gate).toBeUndefined(); // the input is not changed
    expect(validateManifest(manifest).ok).toBe(true);
    expect(ajvValidate(manifest)).toBe(true);
    // a head replaced afterwards leaves the gate where it is
    const replaced = { ...manifest, head: { ...manifest.head!, sha256: SHA_A, bytes: 99 } };
    expect(secondViewGate(replaced)).toEqual(manifest.encoder.secondView!.gate);
  });

  it('keepSecondViewGate leaves alone what has nothing to keep: no second view, a gate already, no head', () => {
    const plain = good();
    expect(keepSecondViewGate(plain)).toEqual({ manifest: plain, copy: null });
    const gated = withView();
    gated.encoder.secondView!.gate = { file: 'g.json', bytes: 5, sha256: SHA_B };
    expect(keepSecondViewGate(gated)).toEqual({ manifest: gated, copy: null });
    const { head: _h, ...headless } = withView();
    expect(keepSecondViewGate(headless).copy).toBeNull();
  });
});
