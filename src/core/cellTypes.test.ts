import { describe, expect, it } from 'vitest';
import { canonicalClass, classInfo, isWbcClass, normalizeClassName, NOT_CLASSED, type CellCategory } from './cellTypes.ts';
import { UNIDENTIFIED } from './head.ts';

const cat = (name: string): CellCategory => classInfo(name).category;

describe('classInfo: well-known names', () => {
  it('knows the white cells, by name and abbreviation, ignoring case, spaces, underscores and hyphens', () => {
    const wbc = [
      'neutrophil', 'Neutrophil', 'NEUTROPHIL', 'neutrophils', 'segmented neutrophil', 'Segmented_Neutrophil', 'segmented-neutrophil',
      'SNE', 'sne', 'band neutrophil', 'Band Neutrophil', 'BNE', 'lymphocyte', 'Lymphocytes', 'LY', 'atypical lymphocyte',
      'Reactive lymphocyte', 'reactive_lymphocyte', 'VLY', 'monocyte', 'MO', 'mo', 'eosinophil', 'EO', 'basophil', 'BA', 'blast', 'Blasts',
      'myeloblast', 'lymphoblast', 'plasma cell', 'Plasma-Cell', 'ig', 'IG', 'immature granulocyte', 'Immature granulocytes',
      'immature_granulocytes', 'metamyelocyte', 'MMY', 'myelocyte', 'MY', 'promyelocyte', 'PMY', '  Monocyte  ',
    ];
    for (const n of wbc) expect(cat(n), n).toBe('wbc');
  });

  it('rolls the IG sub-classes up into ig, and nothing else', () => {
    for (const n of ['metamyelocyte', 'MMY', 'Metamyelocytes', 'myelocyte', 'MY', 'promyelocyte', 'PMY', 'Pro-myelocyte']) {
      expect(classInfo(n), n).toEqual({ name: n, category: 'wbc', rollup: 'ig' });
    }
    for (const n of ['ig', 'neutrophil', 'blast', 'myeloblast', 'SNE', 'erythroblast', 'platelet']) {
      expect(classInfo(n).rollup, n).toBeUndefined();
      expect('rollup' in classInfo(n), n).toBe(false);
    }
  });

  it('knows nucleated red cells, platelets and smudge cells/artefacts', () => {
    for (const n of ['erythroblast', 'Erythroblasts', 'ERB', 'nrbc', 'NRBC', 'normoblast']) expect(cat(n), n).toBe('nrbc');
    for (const n of ['platelet', 'Platelets', 'giant platelet', 'Giant_Platelet', 'platelet clump', 'Platelet-clumps', 'PLT']) expect(cat(n), n).toBe('platelet');
    for (const n of [NOT_CLASSED, 'not classed', 'NOT_CLASSED', 'smudge', 'Smudge cell', 'smudge_cells', 'artefact', 'Artifact', 'artifacts']) {
      expect(cat(n), n).toBe('smudge');
    }
  });

  it('returns the name as given', () => {
    expect(classInfo('Band_Neutrophil')).toEqual({ name: 'Band_Neutrophil', category: 'wbc' });
    expect(classInfo('ERB')).toEqual({ name: 'ERB', category: 'nrbc' });
  });

  it('treats Unidentified, unknown names and the empty string as other', () => {
    expect(classInfo(UNIDENTIFIED)).toEqual({ name: UNIDENTIFIED, category: 'other' });
    for (const n of ['', ' ', 'red cell', 'sickle cell', 'neutro', 'x', 's', 'ss', 'neutrophilx', 'lymphocyteblast']) expect(cat(n), JSON.stringify(n)).toBe('other');
  });

  it('normalises and canonicalises names', () => {
    expect(normalizeClassName(' Band_Neu-trophil ')).toBe('bandneutrophil');
    expect(canonicalClass('SNE')).toBe('segmented neutrophil');
    expect(canonicalClass('Immature Granulocytes')).toBe('ig');
    expect(canonicalClass('MMY')).toBe('metamyelocyte');
    expect(canonicalClass(NOT_CLASSED)).toBe('smudge');
    expect(canonicalClass('nonsense')).toBeNull();
    expect(canonicalClass('')).toBeNull();
  });
});

describe('classInfo: lab classes', () => {
  const lab = [
    { name: 'Hairy cell variant', countsAsWbc: true },
    { name: 'Sézary cell', countsAsWbc: true },
    { name: 'Crystal', countsAsWbc: false },
    { name: 'Smudge', countsAsWbc: false },
    { name: 'MMY', countsAsWbc: true },
    { name: 'Giant platelet', countsAsWbc: true },
    { name: 'Basophil', countsAsWbc: false },
  ];

  it('counts a lab class as a white cell when countsAsWbc, else as other', () => {
    expect(classInfo('Hairy cell variant', lab)).toEqual({ name: 'Hairy cell variant', category: 'wbc' });
    expect(classInfo('Sézary cell', lab).category).toBe('wbc');
    expect(classInfo('Crystal', lab)).toEqual({ name: 'Crystal', category: 'other' });
    expect(isWbcClass('Hairy cell variant', lab)).toBe(true);
    expect(isWbcClass('Crystal', lab)).toBe(false);
  });

  it('matches lab classes with the same loose rules', () => {
    expect(classInfo('hairy_cell-variant', lab).category).toBe('wbc');
    expect(classInfo('SÉZARY CELL', lab).category).toBe('wbc');
  });

  it('keeps the well-known info when the lab agrees, and follows the lab when it does not', () => {
    expect(classInfo('Smudge', lab).category).toBe('smudge');
    expect(classInfo('MMY', lab)).toEqual({ name: 'MMY', category: 'wbc', rollup: 'ig' });
    expect(classInfo('Giant platelet', lab)).toEqual({ name: 'Giant platelet', category: 'wbc' });
    expect(classInfo('Basophil', lab)).toEqual({ name: 'Basophil', category: 'other' });
  });

  it('without lab classes, unknown names are other', () => {
    expect(cat('Hairy cell variant')).toBe('other');
    expect(classInfo('Hairy cell variant', []).category).toBe('other');
  });
});
