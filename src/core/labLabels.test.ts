import { describe, expect, it } from 'vitest';
import { badgeText, conventionalOrder, labLabel, percentText, reviewSentence, shortLabel } from './labLabels.ts';

describe('labLabel', () => {
  it('writes classes as labs do', () => {
    expect(labLabel('ig')).toBe('IG');
    expect(labLabel('erythroblast')).toBe('NRBC');
    expect(labLabel('neutrophil')).toBe('Neutrophil');
    expect(labLabel('MMY')).toBe('MMY');
    expect(labLabel('myelocyte')).toBe('Myelocyte (MY)');
    expect(labLabel('Not classed')).toBe('Not classed');
    expect(labLabel('hairy cell')).toBe('Hairy cell');
  });
});

describe('conventionalOrder', () => {
  it('orders neutrophil, lymphocyte, monocyte, eosinophil, basophil, then the rest as they came', () => {
    const pbc = ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'];
    expect(conventionalOrder(pbc, (x) => x)).toEqual(['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil', 'basophil', 'erythroblast', 'ig', 'platelet']);
  });
  it('understands other spellings and keeps unknown classes stable at the end', () => {
    const rows = [{ n: 'Blast' }, { n: 'EOS' }, { n: 'Lymphocytes' }, { n: 'hairy cell' }, { n: 'SNE' }, { n: 'BNE' }];
    expect(conventionalOrder(rows, (r) => r.n).map((r) => r.n)).toEqual(['SNE', 'BNE', 'Lymphocytes', 'EOS', 'Blast', 'hairy cell']);
  });
});

describe('badge text (what a probability on a thumbnail means)', () => {
  it('shows the model probability alone while the cell shows the model class', () => {
    expect(badgeText({ topClass: 'lymphocyte', confidence: 0.923, className: 'lymphocyte' }, false)).toBe('92 %');
    expect(badgeText({ topClass: 'lymphocyte', confidence: 0.923, className: 'lymphocyte' }, true)).toBe('92 %');
  });
  it('names the model class once a reviewer changed it', () => {
    expect(badgeText({ topClass: 'lymphocyte', confidence: 0.46, className: 'ig' }, true)).toBe('model: lymph 46 %');
    expect(badgeText({ topClass: 'ig', confidence: 0.5, className: 'neutrophil' }, true)).toBe('model: IG 50 %');
  });
  it('names the model class for an Unidentified cell only once reviewed', () => {
    expect(badgeText({ topClass: 'monocyte', confidence: 0.31, className: 'Unidentified' }, false)).toBe('31 %');
    expect(badgeText({ topClass: 'monocyte', confidence: 0.31, className: 'Not classed' }, true)).toBe('model: mono 31 %');
  });
  it('has an ellipsis while there is no result', () => {
    expect(badgeText({ topClass: null, confidence: null, className: null }, false)).toBe('…');
  });
  it('rounds to whole percent', () => {
    expect(percentText(0.995)).toBe('100 %');
    expect(percentText(0.004)).toBe('0 %');
  });
  it('short labels fit a badge', () => {
    expect(shortLabel('erythroblast')).toBe('NRBC');
    expect(shortLabel('Not classed')).toBe('not classed');
    expect(shortLabel('a very long lab class')).toBe('a very lo…');
  });
});

describe('reviewSentence', () => {
  it('says what the model said and what the reviewer set', () => {
    expect(reviewSentence({ topClass: 'lymphocyte', confidence: 0.46, className: 'ig' }, 'ig')).toBe('Model said Lymphocyte (46 %); reviewer set IG.');
    expect(reviewSentence({ topClass: 'lymphocyte', confidence: 0.46, className: 'lymphocyte' }, 'lymphocyte')).toBe('Model said Lymphocyte (46 %); reviewer confirmed it.');
    expect(reviewSentence({ topClass: 'lymphocyte', confidence: 0.9, className: 'lymphocyte' }, null)).toBe('Model said Lymphocyte (90 %); not reviewed yet.');
    expect(reviewSentence({ topClass: null, confidence: null, className: 'ig' }, 'ig')).toBe('Reviewer set IG.');
  });
});
