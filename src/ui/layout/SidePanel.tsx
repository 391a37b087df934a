import { useState, type ReactNode } from 'react';
import type { WbcDifferential } from '../../core/wbcDifferential.ts';
import { useApp } from '../../store/index.ts';
import { AuditPanel } from '../audit/AuditPanel.tsx';
import { DifferentialTable } from '../differential/DifferentialTable.tsx';
import { MorphologyFields } from '../review/CaseFields.tsx';
import { ClassLegend } from '../review/ClassLegend.tsx';
import type { CellWithView } from '../useCellViews.ts';

export interface SideTab {
  id: string;
  label: string;
  render(): ReactNode;
}

/**
 * The side panel: the class legend always on top, then tabs. At ≥ 1280 px it is a sticky column
 * beside the gallery; below that it is docked at the bottom of the window and can be collapsed.
 * Another view of the case (the embedding map) joins by adding a tab to `extraTabs`.
 */
export function SidePanel({ items, diff, extraTabs = [] }: { items: CellWithView[]; diff: WbcDifferential; extraTabs?: SideTab[] }) {
  const c = useApp((s) => s.activeCase);
  const auditCount = useApp((s) => s.activeCase?.audit.length ?? 0);
  const [tab, setTab] = useState('differential');
  const [collapsed, setCollapsed] = useState(false);
  const tabs: SideTab[] = [
    {
      id: 'differential',
      label: 'Differential',
      render: () => (
        <>
          <DifferentialTable diff={diff} />
          {c && (
            <details className="morphology-box">
              <summary>RBC and platelet morphology (for the report)</summary>
              <MorphologyFields c={c} />
            </details>
          )}
        </>
      ),
    },
    { id: 'audit', label: `Audit trail (${auditCount})`, render: () => <AuditPanel /> },
    ...extraTabs,
  ];
  const active = tabs.find((t) => t.id === tab) ?? tabs[0]!;
  return (
    <aside className={`sidepanel${collapsed ? ' sidepanel--collapsed' : ''}`} aria-label="Classes, differential and audit">
      <button type="button" className="sidepanel__toggle button--secondary" aria-expanded={!collapsed} onClick={() => setCollapsed(!collapsed)}>
        {collapsed ? 'Show classes and differential' : 'Hide classes and differential'}
      </button>
      <div className="sidepanel__body">
        <ClassLegend items={items} />
        <div className="tabs" role="tablist" aria-label="Case views">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={t.id === active.id}
              aria-controls={`tabpanel-${t.id}`}
              tabIndex={t.id === active.id ? 0 : -1}
              className="tabs__tab"
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
                const i = tabs.findIndex((x) => x.id === active.id) + (e.key === 'ArrowRight' ? 1 : -1);
                const next = tabs[(i + tabs.length) % tabs.length]!;
                setTab(next.id);
                document.getElementById(`tab-${next.id}`)?.focus();
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div className="tabs__panel" role="tabpanel" tabIndex={0} id={`tabpanel-${active.id}`} aria-labelledby={`tab-${active.id}`}>
          {active.render()}
        </div>
      </div>
    </aside>
  );
}
