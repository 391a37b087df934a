import { describe, expect, it } from 'vitest';
import { duplicatesLine, HashIndex } from './duplicates.ts';
import { isIgnoredName, isIgnoredPath, skippedLine } from './fileFilter.ts';

describe('ignored files', () => {
  it('skips hidden and system files, not cells', () => {
    for (const n of ['.DS_Store', 'Thumbs.db', 'thumbs.db', 'desktop.ini', '._cell.jpg', '__MACOSX', 'ehthumbs.db']) expect(isIgnoredName(n), n).toBe(true);
    for (const n of ['cell.jpg', 'DS_Store.png', 'thumbs.db.jpg', 'x.hidden.png']) expect(isIgnoredName(n), n).toBe(false);
    expect(isIgnoredPath('slide/__MACOSX/a.jpg')).toBe(true);
    expect(isIgnoredPath('slide/.git/x')).toBe(true);
    expect(isIgnoredPath('slide/a/b.jpg')).toBe(false);
  });
  it('sums them up in one line', () => {
    expect(skippedLine(['a/.DS_Store', 'b/.DS_Store', 'Thumbs.db'])).toBe('3 hidden or system files skipped (.DS_Store, Thumbs.db)');
    expect(skippedLine(['.a', '.b', '.c', '.d'])).toBe('4 hidden or system files skipped (.a, .b, .c, …)');
    expect(skippedLine(['.x'])).toBe('1 hidden or system file skipped (.x)');
  });
});

describe('duplicate detection by content hash', () => {
  const h = (c: string): string => c.repeat(64);
  it('refuses a file identical to a cell already in the case, whatever its name', () => {
    const index = new HashIndex([{ name: 'a.jpg', imageHash: h('a') }, { name: 'old.jpg' }]);
    const { keep, duplicates } = index.take([
      { hash: h('a'), name: 'renamed.jpg' },
      { hash: h('b'), name: 'b.jpg' },
    ]);
    expect(keep).toEqual([1]);
    expect(duplicates).toEqual([{ index: 0, sameAs: 'a.jpg' }]);
  });
  it('refuses the second copy inside one drop and remembers what it added', () => {
    const index = new HashIndex();
    expect(index.take([{ hash: h('c'), name: 'c1.jpg' }, { hash: h('c'), name: 'c2.jpg' }])).toEqual({ keep: [0], duplicates: [{ index: 1, sameAs: 'c1.jpg' }] });
    expect(index.take([{ hash: h('c'), name: 'c3.jpg' }]).duplicates).toEqual([{ index: 0, sameAs: 'c1.jpg' }]);
    expect(index.has(h('c'))).toBe(true);
  });
  it('never calls an unreadable file (no hash) a duplicate', () => {
    const index = new HashIndex();
    expect(index.take([{ hash: null, name: 'x' }, { hash: null, name: 'y' }]).keep).toEqual([0, 1]);
  });
  it('says how many', () => {
    expect(duplicatesLine(1)).toBe('1 duplicate skipped');
    expect(duplicatesLine(5)).toBe('5 duplicates skipped');
  });
});
