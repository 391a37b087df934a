/** Gallery selection: click, ctrl/cmd-click (toggle), shift-click (range in gallery order). */
import { useApp } from './index.ts';

const set = useApp.setState;
const get = useApp.getState;

export function selectCell(id: string | null, mode: 'replace' | 'toggle' | 'range' = 'replace', visibleOrder: readonly string[] = []): void {
  if (id === null) {
    set({ selection: [], selectedId: null });
    return;
  }
  const sel = get().selection;
  if (mode === 'toggle') {
    const next = sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id];
    set({ selection: next, selectedId: next.at(-1) ?? null });
  } else if (mode === 'range' && sel.length > 0) {
    const anchor = sel[0]!;
    const a = visibleOrder.indexOf(anchor);
    const b = visibleOrder.indexOf(id);
    if (a < 0 || b < 0) set({ selection: [id], selectedId: id });
    else {
      const range = visibleOrder.slice(Math.min(a, b), Math.max(a, b) + 1);
      // Keep the anchor first so the next shift-click extends from it.
      set({ selection: [anchor, ...range.filter((x) => x !== anchor)], selectedId: id });
    }
  } else {
    set({ selection: [id], selectedId: id });
  }
}
