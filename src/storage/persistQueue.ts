/** Coalesces cell writes: many updates per second become one IndexedDB transaction per tick. */
import type { Cell } from '../core/cell.ts';
import { saveCells, StorageError } from './db.ts';

export class PersistQueue {
  private pending = new Map<string, Cell>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly onError: (e: StorageError) => void,
    private readonly delayMs = 250,
  ) {}

  put(cells: Cell[]): void {
    for (const c of cells) this.pending.set(c.id, c);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  forget(ids: string[]): void {
    for (const id of ids) this.pending.delete(id);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.flushing = this.flushing.then(async () => {
      try {
        await saveCells(batch);
      } catch (e) {
        this.onError(e instanceof StorageError ? e : new StorageError(String(e), false));
      }
    });
    return this.flushing;
  }
}
