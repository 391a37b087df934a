import { describe, expect, it } from 'vitest';
import { csvHeader, parseCsv, toCsv, toJson, type ExportRow } from './export.ts';
import { UNIDENTIFIED } from './head.ts';

const classes = ['neutrophil', 'lymphocyte', 'monocyte'];

const rows: ExportRow[] = [
  { file: 'plain.jpg', predictedClass: 'neutrophil', confidence: 0.91234, userClass: null, status: 'classified', probabilities: [0.91234, 0.05, 0.03766] },
  { file: 'a, b "quoted".jpg', predictedClass: UNIDENTIFIED, confidence: 0.4, userClass: null, status: 'unidentified', probabilities: [0.4, 0.35, 0.25] },
  { file: 'line\nbreak\r\nname.png', predictedClass: 'lymphocyte', confidence: 0.6, userClass: 'monocyte', status: 'reviewed', probabilities: new Float32Array([0.1, 0.6, 0.3]) },
  { file: 'Blutausstrich_血液_дата_😀.jpg', predictedClass: 'monocyte', confidence: 1, userClass: null, status: 'classified', probabilities: [0, 0, 1] },
  { file: 'broken.heic', predictedClass: null, confidence: null, userClass: null, status: 'error', probabilities: null, error: 'unsupported format, "HEIC"' },
];

describe('toCsv / parseCsv', () => {
  it('has exactly the contract columns', () => {
    const parsed = parseCsv(toCsv(rows, classes));
    expect(parsed[0]).toEqual([
      'file', 'predicted_class', 'confidence', 'user_class', 'status', 'p_neutrophil', 'p_lymphocyte', 'p_monocyte',
      'shift_score', 'shift_flag', 'sample_id', 'model', 'head', 'error',
    ]);
    expect(csvHeader(classes)).toEqual(parsed[0]);
    expect(parsed).toHaveLength(rows.length + 1);
    for (const r of parsed) expect(r).toHaveLength(14);
  });

  it('round-trips file names with commas, quotes, newlines and non-Latin characters', () => {
    const parsed = parseCsv(toCsv(rows, classes, { bom: true }));
    expect(parsed.slice(1).map((r) => r[0])).toEqual(rows.map((r) => r.file));
    expect(parsed[1]).toEqual(['plain.jpg', 'neutrophil', '0.9123', '', 'classified', '0.9123', '0.0500', '0.0377', '', '', '', '', '', '']);
    expect(parsed[2]!.slice(1, 5)).toEqual([UNIDENTIFIED, '0.4000', '', 'unidentified']);
    expect(parsed[3]!.slice(1, 8)).toEqual(['lymphocyte', '0.6000', 'monocyte', 'reviewed', '0.1000', '0.6000', '0.3000']);
  });

  it('error rows keep the file, have empty numbers and the message in the error column', () => {
    const parsed = parseCsv(toCsv(rows, classes));
    expect(parsed[5]).toEqual(['broken.heic', '', '', '', 'error', '', '', '', '', '', '', '', '', 'unsupported format, "HEIC"']);
  });

  it('writes shift score and flag, sample ID, model and head; shift columns stay empty when checks are off', () => {
    const model = { id: 'pbc-cnn', version: '2.0.0' };
    const head = { id: 'h1', name: 'Lab head =evil', version: '3' };
    const withShift: ExportRow[] = [
      { ...rows[0]!, sampleId: 'S-17', model, head, shiftScore: 12.345678, shiftFlag: true },
      { ...rows[1]!, sampleId: 'S-17', model, head, shiftScore: 3.2, shiftFlag: false },
      { ...rows[3]!, sampleId: 'S-17', model, head, shiftScore: null, shiftFlag: null },
      { ...rows[4]!, sampleId: 'S-17', shiftScore: 99, shiftFlag: true },
    ];
    const parsed = parseCsv(toCsv(withShift, classes));
    const col = (name: string) => parsed[0]!.indexOf(name);
    expect(parsed.slice(1).map((r) => r[col('shift_score')])).toEqual(['12.3457', '3.2000', '', '']);
    expect(parsed.slice(1).map((r) => r[col('shift_flag')])).toEqual(['1', '0', '', '']);
    expect(parsed.slice(1).map((r) => r[col('sample_id')])).toEqual(['S-17', 'S-17', 'S-17', 'S-17']);
    expect(parsed[1]![col('model')]).toBe('pbc-cnn 2.0.0');
    expect(parsed[1]![col('head')]).toBe('Lab head =evil 3');
    expect(parsed[4]![col('error')]).toBe('unsupported format, "HEIC"');
  });

  it('quotes per RFC 4180 and uses CRLF', () => {
    const text = toCsv([rows[1]!], classes);
    expect(text).toContain('"a, b ""quoted"".jpg"');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(3);
    expect(toCsv([], classes, { bom: true }).startsWith('\uFEFFfile,')).toBe(true);
  });

  it('guards text cells against formula injection but not numbers', () => {
    const evil: ExportRow[] = [
      { file: '=HYPERLINK("http://x")', predictedClass: '+cls', confidence: 0.5, userClass: '@user', status: 'reviewed', probabilities: [0.5, 0.25, 0.25] },
      { file: '-1+2.jpg', predictedClass: null, confidence: null, userClass: '\tTab', status: 'error', probabilities: null, error: '=cmd' },
      { file: '\rcr.jpg', predictedClass: null, confidence: null, userClass: null, status: 'error', probabilities: null },
    ];
    const parsed = parseCsv(toCsv(evil, classes));
    expect(parsed[1]!.slice(0, 4)).toEqual([`'=HYPERLINK("http://x")`, "'+cls", '0.5000', "'@user"]);
    expect(parsed[2]![0]).toBe("'-1+2.jpg");
    expect(parsed[2]![3]).toBe("'\tTab");
    expect(parsed[2]!.at(-1)).toBe("'=cmd");
    expect(parsed[3]![0]).toBe("'\rcr.jpg");
    expect(parsed[3]!.at(-1)).toBe('error');
    // negative numbers are numbers, not text: no guard
    const neg = toCsv([{ file: 'x', predictedClass: 'a', confidence: -0.5, userClass: null, status: 'classified', probabilities: [-1, 0, 0] }], classes);
    expect(parseCsv(neg)[1]!.slice(2, 6)).toEqual(['-0.5000', '', 'classified', '-1.0000']);
  });

  it('rejects probabilities of the wrong length', () => {
    expect(() => toCsv([{ ...rows[0]!, probabilities: [1] }], classes)).toThrow(/1 probabilities for 3 classes/);
  });

  it('parseCsv handles LF, empty fields and a final line without newline', () => {
    expect(parseCsv('a,b\n"x\ny",\n,z')).toEqual([
      ['a', 'b'],
      ['x\ny', ''],
      ['', 'z'],
    ]);
    expect(() => parseCsv('"open')).toThrow(/quoted/);
  });
});

describe('toJson', () => {
  it('has model, time, classes and the same rows', () => {
    const text = toJson(rows, classes, { id: 'dinobloom-s', name: 'DinoBloom-S', version: '1.0.0' }, { exportedAt: '2025-01-02T03:04:05.000Z', sessionName: 'smear 1' });
    const doc = JSON.parse(text) as {
      format: string;
      exportedAt: string;
      model: { id: string; version: string };
      classes: string[];
      meta: { sessionName: string };
      rows: { file: string; status: string; confidence: number | null; probabilities: Record<string, number> | null; error?: string; userClass: string | null }[];
    };
    expect(doc.format).toBe('dinobloom-web-results-v1');
    expect(doc.exportedAt).toBe('2025-01-02T03:04:05.000Z');
    expect(doc.model).toEqual({ id: 'dinobloom-s', name: 'DinoBloom-S', version: '1.0.0', head: null });
    expect(doc.classes).toEqual(classes);
    expect(doc.meta).toEqual({ sessionName: 'smear 1' });
    expect(doc.rows.map((r) => r.file)).toEqual(rows.map((r) => r.file));
    expect(doc.rows[0]!.probabilities).toEqual({ neutrophil: 0.91234, lymphocyte: 0.05, monocyte: 0.03766 });
    expect(doc.rows[2]!.userClass).toBe('monocyte');
    expect(doc.rows[2]!.probabilities!.lymphocyte).toBeCloseTo(0.6, 6);
    expect(doc.rows[4]).toMatchObject({ status: 'error', confidence: null, probabilities: null, error: 'unsupported format, "HEIC"' });
    expect(doc.rows[0]!.error).toBeUndefined();
  });

  it('names the head in the model object and carries per-row model, head, shift and the case', () => {
    const head = { id: 'lab-1', name: 'Our lab head', version: '2' };
    const text = toJson(
      [{ ...rows[0]!, model: { id: 'm', version: '1' }, head, shiftScore: 4.5, shiftFlag: false }, rows[4]!],
      classes,
      { id: 'm', name: 'M', version: '1', head },
      undefined,
      { case: { sampleId: 'S-1', date: '2026-12-01', operator: 'Ana', status: 'open', signedBy: null, signedAt: null }, shift: { flaggedShare: 0.02 } },
    );
    const doc = JSON.parse(text) as Record<string, unknown> & { rows: Record<string, unknown>[] };
    expect(doc.model).toEqual({ id: 'm', name: 'M', version: '1', head });
    expect(doc.case).toMatchObject({ sampleId: 'S-1', date: '2026-12-01', operator: 'Ana' });
    expect(doc.shift).toEqual({ flaggedShare: 0.02 });
    expect(doc.rows[0]).toMatchObject({ model: { id: 'm', version: '1' }, head, shiftScore: 4.5, shiftFlag: false });
    expect(doc.rows[1]).toMatchObject({ model: null, head: null, shiftScore: null, shiftFlag: null });
  });

  it('defaults the export time to now', () => {
    const before = Date.now();
    const doc = JSON.parse(toJson([], classes, { id: 'm', name: 'M', version: '1' })) as { exportedAt: string; meta?: unknown };
    expect(Date.parse(doc.exportedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(doc.meta).toBeUndefined();
  });
});
