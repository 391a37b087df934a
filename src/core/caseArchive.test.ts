import { describe, expect, it } from 'vitest';
import { appendAudit, newCase, sign, unlock, type CaseRecord } from './case.ts';
import {
  base64ByteLength,
  base64ToBytes,
  buildCaseArchive,
  bytesToBase64,
  CASE_ARCHIVE_FORMAT,
  isBase64,
  MAX_ARCHIVE_ERRORS,
  parseCaseArchive,
  type ArchivedImage,
  type CaseArchive,
} from './caseArchive.ts';
import type { Cell } from './cell.ts';
import { toJson } from './export.ts';

const T0 = new Date('2024-05-01T09:30:00.000Z');
const T1 = new Date('2024-05-01T10:00:00.000Z');
const T2 = new Date('2024-05-01T10:30:00.000Z');
const T3 = new Date('2024-05-02T08:00:00.000Z');
const MODEL = 'pbc-compact-cnn-v1';
const CLASSES = ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'];

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

const awkwardName = 'Patient Müller, "Ward 3"\nslide 2/日本語 ё ∑ 🩸 =cmd|\' /C calc\'!A0.png';
const awkwardNotes = 'Notes, with commas, "quotes", \'single\', a\nnewline,\r\nCRLF, tab\tand unicode: Ελληνικά, العربية, 中文 🧪';

function makeCase(): CaseRecord {
  let c = newCase({ id: 'case-ü-1', now: T0, operator: 'Zoë O\'Brien', sampleId: 'S-2024/05, "α"' });
  c = { ...c, notes: awkwardNotes, target: 200, wbcCount: 7.35 };
  c = appendAudit(c, { at: T1.toISOString(), who: 'Zoë O\'Brien', action: 'add-cells', detail: '3 files' });
  c = appendAudit(c, { at: T1.toISOString(), who: 'Zoë O\'Brien', action: 'reclassify', cellId: 'c2', file: awkwardName, from: 'Unidentified', to: 'lymphocyte' });
  c = appendAudit(c, { at: T1.toISOString(), who: 'Zoë O\'Brien', action: 'reclassify', cellId: 'c2', file: awkwardName, from: 'lymphocyte', to: null, detail: 'undo' });
  c = sign(c, 'Dr. Ōno', T2);
  c = unlock(c, 'Dr. Ōno', 'Wrong sample, "really"\nsee notes', T3);
  return c;
}

function makeCells(): Cell[] {
  const p = [0.01, 0.02, 0.03, 0.04, 0.1, 0.2, 0.5, 0.1];
  return [
    { id: 'c1', caseId: 'case-ü-1', name: 'folder/cell 1.jpg', bytes: 5, addedAt: 1714555800000, status: 'classified', width: 360, height: 363,
      probabilities: p, modelId: MODEL, modelVersion: '1.0.0', userClass: null, error: null },
    { id: 'c2', caseId: 'case-ü-1', name: awkwardName, bytes: 100_000, addedAt: 1714555800001.5, status: 'classified',
      probabilities: [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125], modelId: MODEL, modelVersion: '1.0.0', userClass: 'Not classed, "smudge"\nreally', error: null },
    { id: 'c3', caseId: 'case-ü-1', name: 'empty.png', bytes: 0, addedAt: 1714555800002, status: 'error',
      probabilities: null, modelId: null, modelVersion: null, userClass: null, error: { reason: 'empty', message: 'Empty file (0 bytes).' } },
    { id: 'c4', caseId: 'case-ü-1', name: 'queued.tif', bytes: 3, addedAt: 1714555800003, status: 'queued',
      probabilities: null, modelId: null, modelVersion: null, userClass: null, error: null },
  ];
}

function makeImages(): Record<string, ArchivedImage> {
  return {
    c1: { type: 'image/jpeg', base64: bytesToBase64(bytes(5, 1)) },
    c2: { type: 'image/png', base64: bytesToBase64(bytes(100_000, 2)) },
    c3: { type: 'application/octet-stream', base64: '' },
    c4: { type: 'image/tiff', base64: bytesToBase64(bytes(3, 3)) },
  };
}

function makeArchive(): CaseArchive {
  const cells = makeCells();
  const results = JSON.parse(
    toJson(
      [{ file: awkwardName, predictedClass: 'neutrophil', confidence: 0.5, userClass: null, status: 'classified', probabilities: cells[0]!.probabilities }],
      CLASSES,
      { id: MODEL, name: 'PBC', version: '1.0.0' },
      { exportedAt: T3 },
    ),
  ) as unknown;
  return buildCaseArchive(makeCase(), cells, makeImages(), { [MODEL]: CLASSES, 'other-model': ['a', 'b'] }, results, T3);
}

/** A JSON copy of a valid archive, as a plain object to break. */
const raw = (): Record<string, any> => JSON.parse(JSON.stringify(makeArchive())) as Record<string, any>;

/** Byte-for-byte equality (fast; toEqual on megabyte typed arrays is slow). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function errorsOf(json: unknown): string[] {
  const r = parseCaseArchive(json);
  if (r.ok) throw new Error('expected the archive to be rejected');
  return r.errors;
}

describe('base64', () => {
  it('matches Node for every length around the chunk boundaries', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 24575, 24576, 24577, 24578, 49152, 100_001]) {
      const b = bytes(n, n + 11);
      const s = bytesToBase64(b);
      expect(s, String(n)).toBe(Buffer.from(b).toString('base64'));
      expect(isBase64(s)).toBe(true);
      expect(base64ByteLength(s)).toBe(n);
      expect(same(base64ToBytes(s), b), String(n)).toBe(true);
    }
  });

  it('round-trips every byte value and a large buffer (chunked)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
    const big = bytes(3_000_001, 9);
    const s = bytesToBase64(big);
    expect(s.length).toBe(4 * Math.ceil(3_000_001 / 3));
    expect(same(base64ToBytes(s), big)).toBe(true);
    expect(s).toBe(Buffer.from(big).toString('base64'));
  });

  it('decodes at a position that is not a chunk boundary', () => {
    const b = bytes(32768 * 3 + 7, 5);
    expect(same(base64ToBytes(bytesToBase64(b)), b)).toBe(true);
  });

  it('rejects what is not standard padded base64', () => {
    for (const s of ['A', 'AB', 'ABC', 'AB=C', 'A===', '====', 'ab c', 'abcd\n', 'ab-_', 'abc*', 'Zg', 'Zg=']) {
      expect(isBase64(s), JSON.stringify(s)).toBe(false);
      expect(() => base64ToBytes(s), JSON.stringify(s)).toThrow(SyntaxError);
    }
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
    expect(base64ToBytes('Zg==')).toEqual(new Uint8Array([102]));
    expect(base64ToBytes('Zm8=')).toEqual(new Uint8Array([102, 111]));
  });
});

describe('buildCaseArchive', () => {
  it('holds the format, export time, copies of the case and cells, images, classes and results', () => {
    const c = makeCase();
    const cells = makeCells();
    const a = buildCaseArchive(c, cells, makeImages(), { [MODEL]: CLASSES }, { some: 'results' }, T3);
    expect(a.format).toBe(CASE_ARCHIVE_FORMAT);
    expect(a.exportedAt).toBe(T3.toISOString());
    expect(a.case).toEqual(c);
    expect(a.case).not.toBe(c);
    expect(a.case.audit).not.toBe(c.audit);
    expect(a.cells).toEqual(cells);
    expect(a.cells[0]).not.toBe(cells[0]);
    expect(a.cells[0]!.probabilities).not.toBe(cells[0]!.probabilities);
    expect(a.modelClasses[MODEL]).toEqual(CLASSES);
    expect(a.modelClasses[MODEL]).not.toBe(CLASSES);
    expect(a.results).toEqual({ some: 'results' });
    expect('results' in buildCaseArchive(c, cells, {}, {}, undefined, T3)).toBe(false);
    // no undefined keys for cells without width/height
    expect(Object.keys(a.cells[1]!)).not.toContain('width');
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const a = buildCaseArchive(makeCase(), [], {}, {});
    expect(Date.parse(a.exportedAt)).toBeGreaterThanOrEqual(before);
  });
});

describe('parseCaseArchive: round trip', () => {
  it('build → JSON.stringify → JSON.parse → parse gives back the same archive', () => {
    const a = makeArchive();
    const text = JSON.stringify(a);
    const r = parseCaseArchive(JSON.parse(text));
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.archive).toStrictEqual(a);
    expect(r.archive.cells[1]!.name).toBe(awkwardName);
    expect(r.archive.case.notes).toBe(awkwardNotes);
    expect(r.archive.case.audit.at(-1)!.reason).toBe('Wrong sample, "really"\nsee notes');
    expect(same(base64ToBytes(r.archive.images.c2!.base64), bytes(100_000, 2))).toBe(true);
    // and again, pretty-printed
    const again = parseCaseArchive(JSON.parse(JSON.stringify(r.archive, null, 2)));
    expect(again.ok && again.archive).toStrictEqual(a);
  });

  it('keeps the RBC / platelet morphology text and the cells\' content hashes', () => {
    const a = makeArchive();
    const withMorph = buildCaseArchive(
      { ...a.case, rbcMorphology: 'Anisocytosis +, target cells', plateletMorphology: 'Giant platelets seen' },
      a.cells.map((c, i) => (i === 0 ? { ...c, imageHash: 'ab'.repeat(32) } : c)),
      a.images, a.modelClasses, a.results, T3,
    );
    const r = parseCaseArchive(JSON.parse(JSON.stringify(withMorph)));
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.archive).toStrictEqual(withMorph);
    expect(r.archive.case.rbcMorphology).toBe('Anisocytosis +, target cells');
    expect(r.archive.cells[0]!.imageHash).toBe('ab'.repeat(32));
    expect(r.archive.cells[1]!.imageHash).toBeUndefined();
    const bad = JSON.parse(JSON.stringify(withMorph));
    bad.cells[0].imageHash = 'not-a-hash';
    expect(errorsOf(bad).join(' ')).toContain('cells[0].imageHash');
  });

  it('also accepts the JSON text itself', () => {
    const r = parseCaseArchive(JSON.stringify(makeArchive()));
    expect(r.ok).toBe(true);
    expect(parseCaseArchive('{"format": ')).toEqual({ ok: false, errors: [expect.stringMatching(/^Not valid JSON/u)] });
  });

  it('accepts a signed case, a blank date, no results and an image-less cell', () => {
    const o = raw();
    o.case.status = 'signed';
    o.case.signedBy = 'Dr. Ōno';
    o.case.signedAt = T3.toISOString();
    o.case.date = '';
    o.case.wbcCount = null;
    delete o.results;
    delete o.images.c4;
    const r = parseCaseArchive(o);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.archive.case.status).toBe('signed');
    expect('results' in r.archive).toBe(false);
    expect(Object.keys(r.archive.images)).toEqual(['c1', 'c2', 'c3']);
  });

  it('accepts probabilities of a model whose classes are not in the archive', () => {
    const o = raw();
    o.cells[0].modelId = 'unknown-model';
    o.cells[0].probabilities = [0.5, 0.5];
    expect(parseCaseArchive(o).ok).toBe(true);
  });

  it('drops unknown keys and returns copies, not the input objects', () => {
    const o = raw();
    o.extra = 1;
    o.case.extra = 2;
    o.cells[0].extra = 3;
    o.case.audit[0].extra = 4;
    const r = parseCaseArchive(o);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.archive).toStrictEqual(makeArchive());
    expect(r.archive.cells[0]).not.toBe(o.cells[0]);
    expect(r.archive.cells[0]!.probabilities).not.toBe(o.cells[0].probabilities);
  });

  it('keeps a cell id that is "__proto__" as an ordinary key', () => {
    const o = raw();
    o.cells[3].id = '__proto__';
    o.images = JSON.parse('{"__proto__": {"type": "image/png", "base64": "AAAA"}}');
    const r = parseCaseArchive(o);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(Object.keys(r.archive.images)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(r.archive.images)).toBe(Object.prototype);
  });
});

describe('parseCaseArchive: broken archives', () => {
  /** [what is broken, how, a message that must be among the errors] */
  const corpus: [string, (o: Record<string, any>) => unknown, RegExp][] = [
    ['not an object', () => [1, 2], /^A case archive must be a JSON object \(got an array\)$/u],
    ['null', () => null, /must be a JSON object \(got null\)/u],
    ['no format', (o) => { delete o.format; }, /no "format" field/u],
    ['a results export', (o) => { o.format = 'dinobloom-web-results-v1'; }, /results export .*not a case archive/u],
    ['a newer case format', (o) => { o.format = 'dinobloom-web-case-v2'; }, /^Case archive format "dinobloom-web-case-v2" is not supported/u],
    ['an unknown format', (o) => { o.format = 'cellavision-xml'; }, /^Unknown format "cellavision-xml"/u],
    ['a format that is not a string', (o) => { o.format = 1; }, /^Unknown format 1/u],
    ['exportedAt missing', (o) => { delete o.exportedAt; }, /^exportedAt is missing/u],
    ['exportedAt not a time', (o) => { o.exportedAt = 'yesterday'; }, /^exportedAt must be an ISO 8601 date-time .*\(got "yesterday"\)/u],
    ['case missing', (o) => { delete o.case; }, /^"case" is missing$/u],
    ['case an array', (o) => { o.case = []; }, /^"case" must be an object \(got an array\)/u],
    ['case.id empty', (o) => { o.case.id = ''; }, /^case\.id must be a non-empty string \(got ""\)/u],
    ['case.sampleId a number', (o) => { o.case.sampleId = 42; }, /^case\.sampleId must be a string \(got 42\)/u],
    ['case.date impossible', (o) => { o.case.date = '2023-02-29'; }, /^case\.date must be a date written YYYY-MM-DD/u],
    ['case.date in another form', (o) => { o.case.date = '01/05/2024'; }, /^case\.date must be a date written YYYY-MM-DD, or empty \(got "01\/05\/2024"\)/u],
    ['case.operator missing', (o) => { delete o.case.operator; }, /^case\.operator is missing \(expected a string\)/u],
    ['case.notes null', (o) => { o.case.notes = null; }, /^case\.notes must be a string \(got null\)/u],
    ['case.createdAt not a time', (o) => { o.case.createdAt = 1714555800000; }, /^case\.createdAt must be an ISO 8601 date-time/u],
    ['case.status unknown', (o) => { o.case.status = 'closed'; }, /^case\.status must be one of "open", "signed" \(got "closed"\)/u],
    ['signed without signer', (o) => { o.case.status = 'signed'; o.case.signedAt = T3.toISOString(); }, /^case\.status is "signed" but case\.signedBy is empty$/u],
    ['signed without time', (o) => { o.case.status = 'signed'; o.case.signedBy = 'X'; }, /^case\.status is "signed" but case\.signedAt is null$/u],
    ['open but signed by', (o) => { o.case.signedBy = 'X'; }, /^case\.status is "open" but case\.signedBy is "X" \(expected null\)/u],
    ['case.signedAt not a time', (o) => { o.case.signedAt = 'now'; }, /^case\.signedAt must be an ISO 8601 date-time/u],
    ['case.target 150', (o) => { o.case.target = 150; }, /^case\.target must be one of 100, 200 \(got 150\)/u],
    ['case.target a string', (o) => { o.case.target = '100'; }, /^case\.target must be one of 100, 200 \(got "100"\)/u],
    ['case.wbcCount negative', (o) => { o.case.wbcCount = -2; }, /^case\.wbcCount must be null or a number ≥ 0/u],
    ['case.wbcCount a string', (o) => { o.case.wbcCount = '7.2'; }, /^case\.wbcCount must be null or a number ≥ 0 \(×10⁹\/L\) \(got "7\.2"\)/u],
    ['case.audit missing', (o) => { delete o.case.audit; }, /^case\.audit is missing \(expected an array\)/u],
    ['audit entry not an object', (o) => { o.case.audit[1] = 'sign'; }, /^case\.audit\[1\] must be an object \(got "sign"\)/u],
    ['audit action unknown', (o) => { o.case.audit[2].action = 'delete-case'; }, /^case\.audit\[2\]\.action must be one of "create", "edit", .* \(got "delete-case"\)/u],
    ['audit who missing', (o) => { delete o.case.audit[0].who; }, /^case\.audit\[0\]\.who is missing/u],
    ['audit at not a time', (o) => { o.case.audit[0].at = ''; }, /^case\.audit\[0\]\.at must be an ISO 8601 date-time/u],
    ['audit from a number', (o) => { o.case.audit[2].from = 3; }, /^case\.audit\[2\]\.from must be null or a string when present \(got 3\)/u],
    ['audit reason null', (o) => { o.case.audit.at(-1).reason = null; }, /^case\.audit\[\d+\]\.reason must be a string when present \(got null\)/u],
    ['modelClasses missing', (o) => { delete o.modelClasses; }, /^"modelClasses" is missing/u],
    ['modelClasses an array', (o) => { o.modelClasses = [CLASSES]; }, /^"modelClasses" must be an object: model id → class names \(got an array\)/u],
    ['modelClasses empty list', (o) => { o.modelClasses['other-model'] = []; }, /^modelClasses\["other-model"\] must be a non-empty array of class names/u],
    ['modelClasses duplicate', (o) => { o.modelClasses['other-model'] = ['a', 'a']; }, /^modelClasses\["other-model"\] lists class "a" more than once/u],
    ['modelClasses non-string', (o) => { o.modelClasses['other-model'] = ['a', 7]; }, /^modelClasses\["other-model"\]\[1\] must be a non-empty string \(got 7\)/u],
    ['cells missing', (o) => { delete o.cells; }, /^"cells" is missing \(expected an array\)/u],
    ['cells an object', (o) => { o.cells = {}; }, /^"cells" must be an array \(got an object\)/u],
    ['cell not an object', (o) => { o.cells[1] = 'c2'; }, /^cells\[1\] must be an object \(got "c2"\)/u],
    ['cell id missing', (o) => { delete o.cells[0].id; }, /^cells\[0\]\.id is missing \(expected a non-empty string\)/u],
    ['duplicate cell id', (o) => { o.cells[2].id = 'c1'; }, /^cells\[2\]\.id "c1" is used by more than one cell$/u],
    ['cell of another case', (o) => { o.cells[1].caseId = 'case-2'; }, /^cells\[1\]\.caseId "case-2" is not the id of this case \("case-ü-1"\)/u],
    ['cell caseId missing', (o) => { delete o.cells[1].caseId; }, /^cells\[1\]\.caseId is missing/u],
    ['cell name a number', (o) => { o.cells[0].name = 12; }, /^cells\[0\]\.name must be a string \(got 12\)/u],
    ['cell bytes fractional', (o) => { o.cells[0].bytes = 1.5; }, /^cells\[0\]\.bytes must be an integer ≥ 0 \(got 1\.5\)/u],
    ['cell bytes negative', (o) => { o.cells[0].bytes = -1; }, /^cells\[0\]\.bytes must be an integer ≥ 0/u],
    ['cell addedAt a string', (o) => { o.cells[0].addedAt = '2024-05-01'; }, /^cells\[0\]\.addedAt must be a finite number/u],
    ['cell status unknown', (o) => { o.cells[0].status = 'done'; }, /^cells\[0\]\.status must be one of "queued", "classified", "error" \(got "done"\)/u],
    ['cell width zero', (o) => { o.cells[0].width = 0; }, /^cells\[0\]\.width must be an integer ≥ 1 \(got 0\)/u],
    ['cell height a string', (o) => { o.cells[0].height = '363'; }, /^cells\[0\]\.height must be an integer ≥ 1 \(got "363"\)/u],
    ['probabilities not an array', (o) => { o.cells[0].probabilities = '0.5'; }, /^cells\[0\]\.probabilities must be null or an array of numbers \(got "0\.5"\)/u],
    ['probabilities missing', (o) => { delete o.cells[0].probabilities; }, /^cells\[0\]\.probabilities is missing/u],
    ['probability a string', (o) => { o.cells[0].probabilities[3] = '0.04'; }, /^cells\[0\]\.probabilities\[3\] must be a number from 0 to 1 \(got "0\.04"\)/u],
    ['probability above 1', (o) => { o.cells[0].probabilities[0] = 1.5; }, /^cells\[0\]\.probabilities\[0\] must be a number from 0 to 1 \(got 1\.5\)/u],
    ['probability null (NaN in JSON)', (o) => { o.cells[0].probabilities[0] = null; }, /^cells\[0\]\.probabilities\[0\] must be a number from 0 to 1 \(got null\)/u],
    ['probabilities of the wrong length', (o) => { o.cells[0].probabilities.pop(); }, /^cells\[0\]\.probabilities has 7 values but model "pbc-compact-cnn-v1" has 8 classes$/u],
    ['probabilities empty', (o) => { o.cells[0].probabilities = []; o.cells[0].modelId = 'unknown'; }, /^cells\[0\]\.probabilities is an empty array/u],
    ['probabilities without a model', (o) => { o.cells[0].modelId = null; }, /^cells\[0\] has probabilities but no modelId/u],
    ['modelId empty', (o) => { o.cells[0].modelId = ''; }, /^cells\[0\]\.modelId must be null or a non-empty string \(got ""\)/u],
    ['modelVersion a number', (o) => { o.cells[0].modelVersion = 1; }, /^cells\[0\]\.modelVersion must be null or a string \(got 1\)/u],
    ['userClass empty', (o) => { o.cells[0].userClass = ''; }, /^cells\[0\]\.userClass must be null or a non-empty string/u],
    ['userClass missing', (o) => { delete o.cells[0].userClass; }, /^cells\[0\]\.userClass is missing/u],
    ['error a string', (o) => { o.cells[2].error = 'Empty file'; }, /^cells\[2\]\.error must be null or \{ reason: string, message: string \} \(got "Empty file"\)/u],
    ['error without message', (o) => { delete o.cells[2].error.message; }, /^cells\[2\]\.error must be null or \{ reason: string, message: string \} \(got an object\)/u],
    ['error missing', (o) => { delete o.cells[3].error; }, /^cells\[3\]\.error is missing/u],
    ['images missing', (o) => { delete o.images; }, /^"images" is missing/u],
    ['images an array', (o) => { o.images = []; }, /^"images" must be an object: cell id → \{ type, base64 \} \(got an array\)/u],
    ['image of no cell', (o) => { o.images.ghost = { type: 'image/png', base64: 'AAAA' }; }, /^images\["ghost"\] is the image of a cell that is not in the archive$/u],
    ['image not an object', (o) => { o.images.c1 = 'AAAA'; }, /^images\["c1"\] must be an object \{ type, base64 \} \(got "AAAA"\)/u],
    ['image type missing', (o) => { delete o.images.c1.type; }, /^images\["c1"\]\.type is missing \(expected a non-empty string\)/u],
    ['image base64 invalid', (o) => { o.images.c1.base64 = 'not base64!'; }, /^images\["c1"\]\.base64 is not valid base64$/u],
    ['image base64 with line breaks', (o) => { o.images.c2.base64 = `${o.images.c2.base64.slice(0, 76)}\n${o.images.c2.base64.slice(76)}`; }, /^images\["c2"\]\.base64 is not valid base64$/u],
    ['image base64 a number', (o) => { o.images.c1.base64 = 5; }, /^images\["c1"\]\.base64 must be a string \(got 5\)/u],
  ];

  for (const [what, breakIt, message] of corpus) {
    it(`rejects ${what}`, () => {
      const o = raw();
      const replaced = breakIt(o);
      const errors = errorsOf(replaced === undefined ? o : replaced);
      expect(errors.some((e) => message.test(e)), `${what}: ${JSON.stringify(errors)}`).toBe(true);
    });
  }

  it('reports a wrong format alone, without checking the rest', () => {
    expect(errorsOf({ format: 'dinobloom-web-results-v1', rows: [] })).toHaveLength(1);
  });

  it('reports every problem at once', () => {
    const o = raw();
    o.case.target = 150;
    o.cells[0].status = 'done';
    o.cells[1].bytes = -1;
    o.images.c1.base64 = '***';
    const errors = errorsOf(o);
    expect(errors).toHaveLength(4);
    expect(errors.join('\n')).toMatch(/case\.target[\s\S]*cells\[0\]\.status[\s\S]*cells\[1\]\.bytes[\s\S]*images\["c1"\]/u);
  });

  it(`caps the list at ${MAX_ARCHIVE_ERRORS} and counts the rest`, () => {
    const o = raw();
    o.cells = Array.from({ length: 80 }, (_, i) => ({ ...o.cells[3], id: `q${i}`, status: 'nope' }));
    o.images = {};
    const errors = errorsOf(o);
    expect(errors).toHaveLength(MAX_ARCHIVE_ERRORS + 1);
    expect(errors.at(-1)).toBe(`…and ${80 - MAX_ARCHIVE_ERRORS} more problems`);
  });
});

describe('newer cell fields (encoder, image hash, head, shift, framing)', () => {
  const HASH = 'ab'.repeat(32);
  const labHead = { id: 'lab-7', name: 'Ward 3 head', version: '2' };
  function extraCells(): Cell[] {
    const [c1, c2, ...rest] = makeCells();
    return [
      { ...c1!, encoderKey: `${MODEL}:${'cd'.repeat(32)}`, imageHash: HASH, head: labHead, shift: { score: 41.5, flagged: true }, framing: { cellFound: false, note: 'no cell found: whole crop used' }, secondView: true },
      { ...c2!, head: null, shift: null },
      ...rest,
    ];
  }

  it('round-trips them exactly, with the lab head class list keyed by model#head', () => {
    const modelClasses = { [MODEL]: CLASSES, [`${MODEL}#lab-7`]: CLASSES };
    const archive = buildCaseArchive(makeCase(), extraCells(), makeImages(), modelClasses, undefined, T3);
    const parsed = parseCaseArchive(JSON.stringify(archive));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.archive.cells).toEqual(extraCells());
    // older cells without the fields stay without them
    expect('head' in parsed.archive.cells[2]!).toBe(false);
  });

  it('refuses malformed values with the path', () => {
    const archive = buildCaseArchive(makeCase(), extraCells(), makeImages(), { [MODEL]: CLASSES, [`${MODEL}#lab-7`]: CLASSES }, undefined, T3);
    const doc = JSON.parse(JSON.stringify(archive)) as { cells: Record<string, unknown>[] };
    doc.cells[0]!.imageHash = 'XYZ';
    doc.cells[0]!.shift = { score: 'high', flagged: true };
    doc.cells[1]!.head = { id: 3 };
    doc.cells[0]!.secondView = 'yes';
    const parsed = parseCaseArchive(doc);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.join('\n')).toMatch(/cells\[0\]\.imageHash must be 64 lowercase hex/);
    expect(parsed.errors.join('\n')).toMatch(/cells\[0\]\.shift must be null or \{ score: number, flagged: boolean \}/);
    expect(parsed.errors.join('\n')).toMatch(/cells\[1\]\.head must be null or \{ id, name, version \}/);
    expect(parsed.errors.join('\n')).toMatch(/cells\[0\]\.secondView must be true or false/);
  });

  it('checks probabilities against the lab head classes, not the bundle head', () => {
    const archive = buildCaseArchive(makeCase(), extraCells(), makeImages(), { [MODEL]: CLASSES, [`${MODEL}#lab-7`]: ['a', 'b'] }, undefined, T3);
    const parsed = parseCaseArchive(archive);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.join('\n')).toMatch(/cells\[0\]\.probabilities has 8 values but model .* has 2 classes/);
  });
});
