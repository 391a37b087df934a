/**
 * Duplicate files by content: a file whose bytes hash (sha256) to the same value as a cell already
 * in the case — or as an earlier file of the same drop — is the same image, whatever its name, and
 * would be counted twice in the differential. Pure bookkeeping over hashes; hashing is the caller's.
 */

export interface DuplicateOf {
  /** index of the file in the batch */
  index: number;
  /** name of the cell (or earlier file of this batch) with the same bytes */
  sameAs: string;
}

/** Hashes already in a case, with the name of the cell that has each. */
export class HashIndex {
  private readonly names = new Map<string, string>();

  constructor(existing: Iterable<{ imageHash?: string; name: string }> = []) {
    for (const c of existing) if (c.imageHash && !this.names.has(c.imageHash)) this.names.set(c.imageHash, c.name);
  }

  has(hash: string): boolean {
    return this.names.has(hash);
  }

  nameOf(hash: string): string | undefined {
    return this.names.get(hash);
  }

  add(hash: string, name: string): void {
    if (!this.names.has(hash)) this.names.set(hash, name);
  }

  /**
   * Splits a batch into the files to add and the duplicates (of the case or of an earlier file in
   * the batch); the files kept are added to the index. A null hash (the file could not be read)
   * is never a duplicate: the file goes on and gets its own error row.
   */
  take(batch: readonly { hash: string | null; name: string }[]): { keep: number[]; duplicates: DuplicateOf[] } {
    const keep: number[] = [];
    const duplicates: DuplicateOf[] = [];
    batch.forEach((f, index) => {
      if (f.hash === null) {
        keep.push(index);
        return;
      }
      const sameAs = this.names.get(f.hash);
      if (sameAs !== undefined) duplicates.push({ index, sameAs });
      else {
        this.names.set(f.hash, f.name);
        keep.push(index);
      }
    });
    return { keep, duplicates };
  }
}

/** "5 duplicates skipped" / "1 duplicate skipped". */
export function duplicatesLine(n: number): string {
  return `${n} duplicate${n === 1 ? '' : 's'} skipped`;
}
