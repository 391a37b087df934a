import { describe, expect, it } from 'vitest';
import { appendAudit, canSign, isLocked, localDate, newCase, sign, targetText, unlock, type AuditEntry, type CaseRecord } from './case.ts';
import { UNIDENTIFIED } from './head.ts';

type Status = 'queued' | 'classified' | 'error';
const cell = (className: string | null, status: Status = 'classified') => ({ className, status });
const T0 = new Date('2024-05-01T09:30:00.000Z');
const T1 = new Date('2024-05-01T11:00:00.000Z');
const T2 = new Date('2024-05-02T08:15:00.000Z');

const ready = (): CaseRecord => newCase({ id: 'case-1', now: T0, operator: 'A. Tech', sampleId: 'S-0001' });
const good = [cell('neutrophil'), cell('lymphocyte')];

describe('newCase', () => {
  it('starts open, target 100, no WBC count, with one create entry', () => {
    const c = newCase({ id: 'c1', now: T0, operator: 'Ana', sampleId: 'S-1' });
    expect(c).toEqual({
      id: 'c1', sampleId: 'S-1', date: localDate(T0), operator: 'Ana', notes: '', createdAt: '2024-05-01T09:30:00.000Z',
      status: 'open', signedBy: null, signedAt: null, target: 100, wbcCount: null,
      audit: [{ at: '2024-05-01T09:30:00.000Z', who: 'Ana', action: 'create' }],
    });
    expect(isLocked(c)).toBe(false);
  });

  it('defaults operator and sample ID to empty strings', () => {
    const c = newCase({ id: 'c2', now: T0 });
    expect([c.operator, c.sampleId, c.notes]).toEqual(['', '', '']);
    expect(c.audit).toEqual([{ at: T0.toISOString(), who: '', action: 'create' }]);
  });

  it("takes the date from the local calendar, not UTC", () => {
    // 23:30 local time on 31 Dec stays 31 Dec whatever the time zone
    const late = new Date(2023, 11, 31, 23, 30);
    expect(newCase({ id: 'x', now: late }).date).toBe('2023-12-31');
    const early = new Date(2024, 0, 1, 0, 5);
    expect(newCase({ id: 'x', now: early }).date).toBe('2024-01-01');
    expect(localDate(new Date(2024, 1, 9, 12))).toBe('2024-02-09');
    expect(localDate(T0)).toMatch(/^\d{4}-\d{2}-\d{2}$/u);
  });
});

describe('canSign', () => {
  it('allows a complete case', () => {
    expect(canSign(ready(), good, 'Dr. Who')).toEqual({ ok: true, reasons: [] });
  });

  it('does not let error cells block signing', () => {
    expect(canSign(ready(), [...good, cell(null, 'error'), cell('neutrophil', 'error')], 'Dr. Who').ok).toBe(true);
  });

  it('refuses a case that is already signed', () => {
    const signed = sign(ready(), 'Dr. Who', T1);
    const r = canSign(signed, good, 'Dr. Who');
    expect(r.ok).toBe(false);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/already signed/u);
    expect(r.reasons[0]).toContain('Dr. Who');
  });

  it('needs a signer name', () => {
    for (const signer of ['', '   ', '\t\n']) {
      const r = canSign(ready(), good, signer);
      expect(r.ok).toBe(false);
      expect(r.reasons).toEqual(['Enter the name of the person signing the case.']);
    }
  });

  it('needs a sample ID', () => {
    const c = { ...ready(), sampleId: '  ' };
    const r = canSign(c, good, 'Dr. Who');
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/sample ID is blank/u);
  });

  it('needs at least one classified cell', () => {
    for (const cells of [[], [cell(null, 'error')]]) {
      const r = canSign(ready(), cells, 'Dr. Who');
      expect(r.ok).toBe(false);
      expect(r.reasons).toEqual(['There are no classified cells in this case: nothing to report.']);
    }
  });

  it('blocks on Unidentified cells, giving their number', () => {
    const one = canSign(ready(), [...good, cell(UNIDENTIFIED)], 'Dr. Who');
    expect(one.ok).toBe(false);
    expect(one.reasons).toHaveLength(1);
    expect(one.reasons[0]).toMatch(/^1 cell is still Unidentified/u);
    const many = canSign(ready(), [...good, ...Array.from({ length: 12 }, () => cell(UNIDENTIFIED))], 'Dr. Who');
    expect(many.reasons).toHaveLength(1);
    expect(many.reasons[0]).toContain('12');
    expect(many.reasons[0]).toContain('Unidentified');
    expect(many.reasons[0]).toMatch(/^12 cells are still Unidentified/u);
  });

  it('blocks on cells flagged as unlike the training data until a reviewer gives them a class', () => {
    const flagged = (className: string, reviewed: boolean) => ({ ...cell(className), shiftFlagged: true, reviewed });
    const r = canSign(ready(), [...good, flagged('neutrophil', false), flagged('monocyte', false)], 'Dr. Who');
    expect(r.ok).toBe(false);
    expect(r.reasons).toEqual(['2 cells are flagged as unlike the training data: look at each and give it a class (or "Not classed") before signing.']);
    expect(canSign(ready(), [...good, flagged('neutrophil', true)], 'Dr. Who')).toEqual({ ok: true, reasons: [] });
    // an Unidentified flagged cell is counted once, as Unidentified; not-flagged and error cells never block
    const u = canSign(ready(), [...good, { ...cell(UNIDENTIFIED), shiftFlagged: true }, { ...cell('neutrophil'), shiftFlagged: false }, { ...cell(null, 'error'), shiftFlagged: true }], 'Dr. Who');
    expect(u.reasons).toHaveLength(1);
    expect(u.reasons[0]).toMatch(/^1 cell is still Unidentified/u);
  });

  it('blocks on cells still waiting for classification, giving their number', () => {
    const r = canSign(ready(), [...good, cell(null, 'queued'), cell(null, 'queued'), cell(null, 'queued')], 'Dr. Who');
    expect(r.reasons).toEqual(['3 cells are still waiting for classification.']);
    expect(canSign(ready(), [...good, cell(null, 'queued')], 'Dr. Who').reasons).toEqual(['1 cell is still waiting for classification.']);
  });

  it('blocks on classified cells that have no class at all', () => {
    const r = canSign(ready(), [...good, cell(null), cell(null)], 'Dr. Who');
    expect(r.ok).toBe(false);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/^2 cells have a result but no class/u);
  });

  it('lists every reason at once, in a fixed order', () => {
    const c = sign({ ...ready(), sampleId: '' }, 'Someone', T1);
    const r = canSign(c, [cell(UNIDENTIFIED), cell(UNIDENTIFIED), cell(null, 'queued'), cell(null, 'error')], ' ');
    expect(r.ok).toBe(false);
    expect(r.reasons).toHaveLength(6);
    expect(r.reasons[0]).toMatch(/already signed/u);
    expect(r.reasons[1]).toMatch(/name of the person signing/u);
    expect(r.reasons[2]).toMatch(/sample ID/u);
    expect(r.reasons[3]).toMatch(/no classified cells/u);
    expect(r.reasons[4]).toMatch(/^2 cells are still Unidentified/u);
    expect(r.reasons[5]).toMatch(/^1 cell is still waiting/u);
  });
});

describe('sign', () => {
  it('signs, records who and when, and locks the case', () => {
    const c = ready();
    const s = sign(c, '  Dr. Who ', T1);
    expect(s.status).toBe('signed');
    expect(s.signedBy).toBe('Dr. Who');
    expect(s.signedAt).toBe(T1.toISOString());
    expect(s.audit).toHaveLength(2);
    expect(s.audit[1]).toEqual({ at: T1.toISOString(), who: 'Dr. Who', action: 'sign' });
    expect(isLocked(s)).toBe(true);
    // the input is unchanged
    expect(c.status).toBe('open');
    expect(c.audit).toHaveLength(1);
  });

  it('throws when the case is already signed or the signer is blank', () => {
    const s = sign(ready(), 'Dr. Who', T1);
    expect(() => sign(s, 'Dr. Other', T2)).toThrow(/already signed by Dr\. Who/u);
    expect(() => sign(ready(), '  ', T1)).toThrow(/name of the person signing/u);
  });
});

describe('unlock', () => {
  it('reopens a signed case, clears the signature and keeps the reason in the audit trail', () => {
    const s = sign(ready(), 'Dr. Who', T1);
    const u = unlock(s, 'Dr. Who', '  Wrong sample ID  ', T2);
    expect(u.status).toBe('open');
    expect(u.signedBy).toBeNull();
    expect(u.signedAt).toBeNull();
    expect(isLocked(u)).toBe(false);
    expect(u.audit.map((e) => e.action)).toEqual(['create', 'sign', 'unlock']);
    expect(u.audit[2]).toEqual({
      at: T2.toISOString(), who: 'Dr. Who', action: 'unlock', reason: 'Wrong sample ID',
      detail: `signed by Dr. Who at ${T1.toISOString()}`,
    });
    expect(s.status).toBe('signed');
    // and it can be signed again
    const again = sign(u, 'Dr. Who', T2);
    expect(again.audit.map((e) => e.action)).toEqual(['create', 'sign', 'unlock', 'sign']);
  });

  it('requires a non-blank reason', () => {
    const s = sign(ready(), 'Dr. Who', T1);
    for (const reason of ['', '   ', '\n']) expect(() => unlock(s, 'Dr. Who', reason, T2)).toThrow(/reason/u);
  });

  it('refuses to unlock a case that is not signed', () => {
    expect(() => unlock(ready(), 'Dr. Who', 'because', T2)).toThrow(/not signed/u);
  });
});

describe('appendAudit / isLocked', () => {
  it('appends without changing the input', () => {
    const c = ready();
    const entry: AuditEntry = { at: T1.toISOString(), who: 'A. Tech', action: 'reclassify', cellId: 'cell-7', file: 'a/b, "c".png', from: 'neutrophil', to: null };
    const d = appendAudit(c, entry);
    expect(d).not.toBe(c);
    expect(d.audit).not.toBe(c.audit);
    expect(c.audit).toHaveLength(1);
    expect(d.audit).toHaveLength(2);
    expect(d.audit[1]).toEqual(entry);
    // the entry is copied: changing the caller's object later does not rewrite history
    entry.to = 'lymphocyte';
    expect(d.audit[1]!.to).toBeNull();
    expect({ ...d, audit: c.audit }).toEqual(c);
  });

  it('isLocked is true only for signed cases (and false for none)', () => {
    expect(isLocked(ready())).toBe(false);
    expect(isLocked(sign(ready(), 'X', T1))).toBe(true);
    expect(isLocked(null)).toBe(false);
    expect(isLocked(undefined)).toBe(false);
  });
});

describe('targetText', () => {
  it('says the count against the target, when it is reached, and when counting went past it', () => {
    expect(targetText(87, 100)).toBe('87 / 100 white cells');
    expect(targetText(100, 100)).toBe('100 / 100 white cells — target reached');
    expect(targetText(112, 100)).toBe('112 / 100 white cells — 12 past the target');
  });
});
