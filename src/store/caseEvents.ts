/**
 * The open case's audit trail and its write-back: what every action that changes a case records (who,
 * when, what). Kept apart from caseActions.ts so that the cell actions (actions.ts) can record events
 * without depending on the case actions, which depend on them.
 */
import { appendAudit, type AuditEntry, type CaseRecord } from '../core/case.ts';
import { saveCase } from '../storage/cases.ts';
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

export const nowIso = (): string => new Date().toISOString();
export const who = (): string => get().activeCase?.operator.trim() || 'unnamed user';

/** Makes `c` the open case (and keeps the case list sorted), then stores it. */
export async function persistCase(c: CaseRecord): Promise<void> {
  set({ activeCase: c, cases: [c, ...get().cases.filter((x) => x.id !== c.id)].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) });
  await saveCase(c).catch((e: Error) => set({ storageError: e.message }));
}

export async function recordCaseEvent(entry: Omit<AuditEntry, 'at' | 'who'>): Promise<void> {
  await recordCaseEvents([entry]);
}

/** Several audit entries, one write. */
export async function recordCaseEvents(entries: readonly Omit<AuditEntry, 'at' | 'who'>[]): Promise<void> {
  let c = get().activeCase;
  if (!c || entries.length === 0) return;
  const at = nowIso();
  for (const e of entries) c = appendAudit(c, { at, who: who(), ...e });
  await persistCase(c);
}
