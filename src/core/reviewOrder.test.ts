import { describe, expect, it } from 'vitest';
import { UNIDENTIFIED } from './head.ts';
import { classCounts, groupCells, nextAfter, reviewClassList, reviewSequence, stepFrom, stepWithTrail, type ReviewItem } from './reviewOrder.ts';

const item = (id: string, className: string | null, confidence: number | null = 0.9, extra: Partial<ReviewItem> = {}): ReviewItem => ({
  id, className, confidence, status: 'classified', reviewed: false, ...extra,
});

describe('groupCells', () => {
  it('puts Unidentified first, then legend order, then unknown classes as first seen; queued and error cells left out', () => {
    const groups = groupCells(
      [
        item('a', 'lymphocyte'), item('b', 'odd'), item('c', UNIDENTIFIED), item('d', 'neutrophil'), item('e', 'lymphocyte'),
        item('q', null, null, { status: 'queued' }), item('x', null, null, { status: 'error' }),
      ],
      ['neutrophil', 'lymphocyte', 'monocyte'],
    );
    expect(groups).toEqual([
      { cls: UNIDENTIFIED, ids: ['c'] },
      { cls: 'neutrophil', ids: ['d'] },
      { cls: 'lymphocyte', ids: ['a', 'e'] },
      { cls: 'odd', ids: ['b'] },
    ]);
  });

  it('keeps an error cell a reviewer gave a class (it is shown where the reviewer put it)', () => {
    const groups = groupCells([item('x', 'Not classed', null, { status: 'error', reviewed: true })], ['Not classed']);
    expect(groups).toEqual([{ cls: 'Not classed', ids: ['x'] }]);
  });

  it('sorts a group least confident first when asked (stable on ties, no confidence last)', () => {
    const items = [item('a', 'ig', 0.9), item('b', 'ig', 0.4), item('c', 'ig', null, { reviewed: true }), item('d', 'ig', 0.4), item('e', 'ig', 0.6)];
    expect(groupCells(items, ['ig'])[0]!.ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(groupCells(items, ['ig'], { leastConfidentFirst: true })[0]!.ids).toEqual(['b', 'd', 'e', 'a', 'c']);
  });
});

describe('nextAfter', () => {
  const groups = [
    { cls: 'neutrophil', ids: ['n1', 'n2', 'n3'] },
    { cls: 'lymphocyte', ids: ['l1', 'l2'] },
  ];
  it('goes to the next cell in the same group', () => {
    expect(nextAfter(groups, ['n1'])).toBe('n2');
    expect(nextAfter(groups, ['l1'])).toBe('l2');
  });
  it('after several cells, goes past the last of them and skips the others', () => {
    expect(nextAfter(groups, ['n1', 'n2'])).toBe('n3');
    expect(nextAfter(groups, ['n2', 'n1'])).toBe('n3');
    expect(nextAfter(groups, ['n1', 'n3'])).toBe('l1');
  });
  it('at the end of a group goes to the next group, at the very end back to the cell before', () => {
    expect(nextAfter(groups, ['n3'])).toBe('l1');
    expect(nextAfter(groups, ['l2'])).toBe('l1');
    expect(nextAfter(groups, ['l1', 'l2'])).toBe('n3');
  });
  it('is null when nothing is left or the cells are not grouped', () => {
    expect(nextAfter([{ cls: 'x', ids: ['a'] }], ['a'])).toBeNull();
    expect(nextAfter(groups, ['zz'])).toBeNull();
  });
});

describe('stepFrom and reviewSequence', () => {
  const groups = [
    { cls: 'a', ids: ['1', '2'] },
    { cls: 'b', ids: ['3'] },
  ];
  it('walks the sequence across groups and stops at the ends', () => {
    expect(reviewSequence(groups)).toEqual(['1', '2', '3']);
    expect(stepFrom(groups, '2', 1)).toBe('3');
    expect(stepFrom(groups, '3', 1)).toBe('3');
    expect(stepFrom(groups, '1', -1)).toBe('1');
    expect(stepFrom(groups, 'gone', 1)).toBe('1');
  });
});

describe('nextAfter at the end of the slide', () => {
  const groups = [
    { cls: 'neutrophil', ids: ['n1', 'n2'] },
    { cls: 'platelet', ids: ['p1', 'p2'] },
  ];
  it('goes back to the first cell still to review, not to the cell before', () => {
    expect(nextAfter(groups, ['p2'])).toBe('p1');
    expect(nextAfter(groups, ['p2'], (id) => id === 'n2')).toBe('n2');
    expect(nextAfter(groups, ['p2'], (id) => id === 'p2')).toBe('p1'); // the cell just done is not "to review"
  });
  it('inside the slide the next cell of the group still comes first', () => {
    expect(nextAfter(groups, ['n1'], (id) => id === 'p2')).toBe('n2');
  });
});

describe('stepWithTrail', () => {
  // l2 was just moved from the lymphocytes to the monocytes by a class key; the selection went on to l3.
  const after = [
    { cls: 'lymphocyte', ids: ['l1', 'l3'] },
    { cls: 'monocyte', ids: ['m1', 'l2'] },
  ];
  const trail = { from: 'l2', to: 'l3' };
  const all = (): boolean => true;
  it('← right after a class key goes back to the cell it classified, in its new group; → returns', () => {
    expect(stepFrom(after, 'l3', -1)).toBe('l1'); // what a plain step would do: the old group's previous cell
    const back = stepWithTrail(after, 'l3', -1, trail, all);
    expect(back).toEqual({ next: 'l2', trail });
    expect(stepWithTrail(after, 'l2', 1, back.trail, all)).toEqual({ next: 'l3', trail });
  });
  it('any other step is a plain one and spends the trail', () => {
    expect(stepWithTrail(after, 'l3', 1, trail, all)).toEqual({ next: 'm1', trail: null });
    expect(stepWithTrail(after, 'm1', -1, trail, all)).toEqual({ next: 'l3', trail: null });
    expect(stepWithTrail(after, 'l3', -1, null, all)).toEqual({ next: 'l1', trail: null });
  });
  it('steps over a cell removed meanwhile, and starts at the first cell without a selection', () => {
    expect(stepWithTrail(after, 'l3', -1, trail, (id) => id !== 'l2')).toEqual({ next: 'l1', trail: null });
    expect(stepWithTrail(after, null, 1, trail, all)).toEqual({ next: 'l1', trail: null });
  });
});

describe('classCounts', () => {
  it('counts every cell that shows a class, Unidentified included, and nothing waiting or failed', () => {
    const counts = classCounts([item('a', 'ig'), item('b', 'ig'), item('c', UNIDENTIFIED), item('q', null, null, { status: 'queued' }), item('x', null, null, { status: 'error' })]);
    expect(Object.fromEntries(counts)).toEqual({ ig: 2, [UNIDENTIFIED]: 1 });
  });
});

describe('reviewClassList', () => {
  it("numbers the model's classes first, then Not classed, then the lab's, without duplicates", () => {
    expect(reviewClassList(['a', 'b'], 'Not classed', ['x', 'a'])).toEqual(['a', 'b', 'Not classed', 'x']);
  });
  it('is empty until the model classes are known, so keys never renumber when the model loads', () => {
    expect(reviewClassList(null, 'Not classed', ['x'])).toEqual([]);
    expect(reviewClassList([], 'Not classed', ['x'])).toEqual([]);
  });
});
