/**
 * Result export: CSV (RFC 4180) and JSON.
 *
 * CSV columns, in this order:
 *   file, predicted_class, confidence, user_class, status, p_<class> (one per model class),
 *   shift_score, shift_flag, sample_id, model, head, error
 * - `shift_score` is the cell's out-of-distribution score (empty when the model has no reference
 *   statistics), `shift_flag` 1 when the cell is flagged "Unlike the training data", else 0 (empty when
 *   shift checks are off); `model` is `<bundle id> <version>` and `head` `<head name> <version>` of the
 *   classifier that produced the row (a case can hold cells of several).
 * - `confidence` and `p_*` are written with 4 decimals; empty when unknown (error rows).
 * - `error` (last column) holds the error message of `status = error` rows and is empty otherwise;
 *   error rows keep their file name and have empty numbers.
 * - Fields containing a comma, double quote, CR or LF are quoted, with quotes doubled.
 * - Text cells (not numbers) that start with `=`, `+`, `-`, `@`, TAB or CR get a leading `'` so a
 *   spreadsheet does not evaluate them as formulas (file names, class names, messages, headers).
 * - Lines end with CRLF. `toCsv(..., { bom: true })` prepends a UTF-8 BOM (helps Excel detect UTF-8).
 */

export type ExportStatus = 'classified' | 'unidentified' | 'reviewed' | 'error';

export interface ExportRow {
  file: string;
  /** the case's sample ID ('' when blank) */
  sampleId?: string;
  /** `<bundle id>` and version of the encoder that classified the cell */
  model?: { id: string; version: string } | null;
  head?: { id: string; name: string; version: string } | null;
  shiftScore?: number | null;
  /** null: shift checks off for this cell's model */
  shiftFlag?: boolean | null;
  predictedClass: string | null;
  confidence: number | null;
  userClass: string | null;
  status: ExportStatus;
  /** one per class, in `classes` order */
  probabilities: ArrayLike<number> | null;
  error?: string;
}

const FORMULA_START = /^[=+\-@\t\r]/u;
const NEEDS_QUOTES = /[",\r\n]/u;

/** Escape one text cell: formula guard, then RFC 4180 quoting. */
export function csvText(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  let v = value;
  if (FORMULA_START.test(v)) v = `'${v}`;
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/gu, '""')}"` : v;
}

/** A number cell with fixed decimals ('' when null or not finite). */
export function csvNumber(value: number | null | undefined, decimals = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '' : value.toFixed(decimals);
}

export function csvHeader(classes: readonly string[]): string[] {
  return ['file', 'predicted_class', 'confidence', 'user_class', 'status', ...classes.map((c) => `p_${c}`), 'shift_score', 'shift_flag', 'sample_id', 'model', 'head', 'error'];
}

export function toCsv(rows: readonly ExportRow[], classes: readonly string[], opts: { bom?: boolean } = {}): string {
  const lines: string[] = [csvHeader(classes).map(csvText).join(',')];
  for (const r of rows) {
    const isError = r.status === 'error';
    const probs = !isError && r.probabilities ? r.probabilities : null;
    if (probs && probs.length !== classes.length) {
      throw new RangeError(`${r.file}: ${probs.length} probabilities for ${classes.length} classes`);
    }
    const cells = [
      csvText(r.file),
      csvText(r.predictedClass),
      csvNumber(isError ? null : r.confidence),
      csvText(r.userClass),
      csvText(r.status),
      ...classes.map((_, i) => csvNumber(probs ? probs[i] : null)),
      csvNumber(isError ? null : r.shiftScore),
      isError || r.shiftFlag === null || r.shiftFlag === undefined ? '' : r.shiftFlag ? '1' : '0',
      csvText(r.sampleId ?? ''),
      csvText(r.model ? `${r.model.id} ${r.model.version}` : ''),
      csvText(r.head ? `${r.head.name} ${r.head.version}` : ''),
      csvText(isError ? (r.error ?? 'error') : (r.error ?? '')),
    ];
    lines.push(cells.join(','));
  }
  return (opts.bom ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n';
}

/**
 * Parse RFC 4180 CSV (quoted fields with doubled quotes, embedded newlines; CRLF or LF line ends;
 * a leading BOM is dropped). Returns rows of raw cell strings; the formula-guard `'` is kept.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let sawAny = false;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    sawAny = true;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cell += ch;
      i++;
      continue;
    }
    if (ch === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      sawAny = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      cell += ch;
      i++;
    }
  }
  if (quoted) throw new SyntaxError('CSV ends inside a quoted field');
  if (sawAny || cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export interface ExportModel {
  id: string;
  name: string;
  version: string;
  /** the head classifying new cells (the bundle's own or a lab head); null: encoder only */
  head?: { id: string; name: string; version: string } | null;
}

export interface JsonExportRow {
  file: string;
  predictedClass: string | null;
  confidence: number | null;
  userClass: string | null;
  status: ExportStatus;
  /** class → probability (6 decimals), null for error rows */
  probabilities: Record<string, number> | null;
  /** encoder and head that produced this row (null when not classified) */
  model: { id: string; version: string } | null;
  head: { id: string; name: string; version: string } | null;
  shiftScore: number | null;
  shiftFlag: boolean | null;
  error?: string;
}

/** The case the results belong to (JSON export). */
export interface ExportCase {
  sampleId: string;
  date: string;
  operator: string;
  status: string;
  signedBy: string | null;
  signedAt: string | null;
}

export interface JsonExport {
  format: 'dinobloom-web-results-v1';
  exportedAt: string;
  model: ExportModel;
  case?: ExportCase;
  /** the case's shift verdict (the banner), when shift checks are on */
  shift?: Record<string, unknown>;
  classes: string[];
  meta?: Record<string, unknown>;
  rows: JsonExportRow[];
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * JSON export: same content as the CSV plus model id/name/version and export time.
 * `meta.exportedAt` (Date or ISO string) overrides the time; other `meta` keys are kept under `meta`.
 */
export function toJson(
  rows: readonly ExportRow[],
  classes: readonly string[],
  model: ExportModel,
  meta?: { exportedAt?: Date | string } & Record<string, unknown>,
  context: { case?: ExportCase; shift?: Record<string, unknown> } = {},
): string {
  const { exportedAt, ...rest } = meta ?? {};
  const when = exportedAt === undefined ? new Date() : new Date(exportedAt);
  const doc: JsonExport = {
    format: 'dinobloom-web-results-v1',
    exportedAt: when.toISOString(),
    model: { id: model.id, name: model.name, version: model.version, head: model.head ? { ...model.head } : null },
    ...(context.case ? { case: { ...context.case } } : {}),
    ...(context.shift ? { shift: context.shift } : {}),
    classes: classes.slice(),
    ...(Object.keys(rest).length > 0 ? { meta: rest } : {}),
    rows: rows.map((r) => {
      const isError = r.status === 'error';
      const probs = !isError && r.probabilities ? r.probabilities : null;
      if (probs && probs.length !== classes.length) {
        throw new RangeError(`${r.file}: ${probs.length} probabilities for ${classes.length} classes`);
      }
      const out: JsonExportRow = {
        file: r.file,
        predictedClass: r.predictedClass,
        confidence: isError || r.confidence === null || !Number.isFinite(r.confidence) ? null : round6(r.confidence),
        userClass: r.userClass,
        status: r.status,
        probabilities: probs ? Object.fromEntries(classes.map((c, i) => [c, round6(probs[i]!)])) : null,
        model: r.model ? { ...r.model } : null,
        head: r.head ? { ...r.head } : null,
        shiftScore: isError || r.shiftScore === null || r.shiftScore === undefined || !Number.isFinite(r.shiftScore) ? null : round6(r.shiftScore),
        shiftFlag: isError || r.shiftFlag === undefined ? null : r.shiftFlag,
      };
      if (isError || r.error) out.error = r.error ?? 'error';
      return out;
    }),
  };
  return JSON.stringify(doc, null, 2);
}
