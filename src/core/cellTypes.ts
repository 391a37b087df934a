/**
 * What kind of cell a class name stands for, so a differential can count white cells apart from
 * NRBCs, platelets, smudge cells/artefacts and anything else.
 *
 * Names are matched ignoring case, spaces, underscores and hyphens ("Band_Neutrophil",
 * "band-neutrophil" and "BNE" are the same class), with a trailing plural "s" allowed
 * ("Lymphocytes"). The model's own names (e.g. PBC: basophil, eosinophil, erythroblast, ig,
 * lymphocyte, monocyte, neutrophil, platelet), CellaVision-style abbreviations and a lab's own
 * classes are all understood.
 *
 * UNIDENTIFIED is not a class: callers count it separately. Here it is simply 'other'.
 */

/** A reviewer's class for cells that are not counted: smudge cells, artefacts. */
export const NOT_CLASSED = 'Not classed';

export type CellCategory = 'wbc' | 'nrbc' | 'platelet' | 'smudge' | 'other';

export interface ClassInfo {
  name: string;
  category: CellCategory;
  /** parent class this one rolls up into, e.g. 'ig' */
  rollup?: string;
}

/** A lab-defined class. */
export interface UserClass {
  name: string;
  countsAsWbc: boolean;
}

interface KnownClass {
  category: CellCategory;
  rollup?: string;
  aliases: readonly string[];
}

/** Canonical name → category and the spellings that mean it (already normalised). */
const KNOWN: Readonly<Record<string, KnownClass>> = {
  // white cells
  neutrophil: { category: 'wbc', aliases: ['neutrophil', 'neu', 'neut', 'neutrophilgranulocyte'] },
  'segmented neutrophil': { category: 'wbc', aliases: ['segmentedneutrophil', 'neutrophilsegmented', 'sne', 'seg', 'segmented'] },
  'band neutrophil': { category: 'wbc', aliases: ['bandneutrophil', 'neutrophilband', 'bne', 'band', 'bandform', 'stab'] },
  lymphocyte: { category: 'wbc', aliases: ['lymphocyte', 'ly', 'lym', 'lymph'] },
  'atypical lymphocyte': {
    category: 'wbc',
    aliases: ['atypicallymphocyte', 'reactivelymphocyte', 'variantlymphocyte', 'variantformlymphocyte', 'vly', 'atypicallymph', 'reactivelymph'],
  },
  'large granular lymphocyte': { category: 'wbc', aliases: ['largegranularlymphocyte', 'lgl'] },
  monocyte: { category: 'wbc', aliases: ['monocyte', 'mo', 'mono'] },
  eosinophil: { category: 'wbc', aliases: ['eosinophil', 'eo', 'eos', 'eosinophilgranulocyte'] },
  basophil: { category: 'wbc', aliases: ['basophil', 'ba', 'bas', 'baso', 'basophilgranulocyte'] },
  blast: { category: 'wbc', aliases: ['blast', 'bl', 'blastcell'] },
  myeloblast: { category: 'wbc', aliases: ['myeloblast'] },
  lymphoblast: { category: 'wbc', aliases: ['lymphoblast'] },
  monoblast: { category: 'wbc', aliases: ['monoblast'] },
  promonocyte: { category: 'wbc', aliases: ['promonocyte'] },
  prolymphocyte: { category: 'wbc', aliases: ['prolymphocyte'] },
  'hairy cell': { category: 'wbc', aliases: ['hairycell'] },
  'plasma cell': { category: 'wbc', aliases: ['plasmacell', 'plc'] },
  ig: { category: 'wbc', aliases: ['ig', 'immaturegranulocyte', 'immaturegranulocytes'] },
  metamyelocyte: { category: 'wbc', rollup: 'ig', aliases: ['metamyelocyte', 'mmy'] },
  myelocyte: { category: 'wbc', rollup: 'ig', aliases: ['myelocyte', 'my'] },
  promyelocyte: { category: 'wbc', rollup: 'ig', aliases: ['promyelocyte', 'pmy'] },
  // nucleated red cells
  erythroblast: { category: 'nrbc', aliases: ['erythroblast', 'erb', 'nrbc', 'normoblast', 'nucleatedredbloodcell', 'nucleatedredcell', 'nucleatedrbc'] },
  // platelets
  platelet: { category: 'platelet', aliases: ['platelet', 'plt', 'thrombocyte'] },
  'giant platelet': { category: 'platelet', aliases: ['giantplatelet', 'giantthrombocyte', 'gt'] },
  'platelet clump': {
    category: 'platelet',
    aliases: ['plateletclump', 'plateletaggregate', 'plateletaggregation', 'thrombocyteaggregate', 'thrombocyteaggregation', 'pltclump'],
  },
  // not counted
  smudge: { category: 'smudge', aliases: ['notclassed', 'smudge', 'smudgecell', 'smu', 'basketcell'] },
  artefact: { category: 'smudge', aliases: ['artefact', 'artifact'] },
};

const BY_ALIAS: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [canonical, k] of Object.entries(KNOWN)) for (const a of k.aliases) m.set(a, canonical);
  return m;
})();

/** Lower case without spaces, underscores or hyphens (after Unicode NFKC). */
export function normalizeClassName(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[\s_\-\u2010-\u2015]+/gu, '');
}

/**
 * The canonical well-known class a name means ('neutrophil', 'ig', 'metamyelocyte', 'smudge', …),
 * or null for a name this module does not know. A trailing plural "s" is accepted.
 */
export function canonicalClass(name: string): string | null {
  const key = normalizeClassName(name);
  if (key === '') return null;
  const hit = BY_ALIAS.get(key);
  if (hit !== undefined) return hit;
  if (key.length >= 3 && key.endsWith('s')) return BY_ALIAS.get(key.slice(0, -1)) ?? null;
  return null;
}

/** The lab class with this name (same matching as the well-known names), if any. */
export function findUserClass(name: string, userClasses?: readonly UserClass[]): UserClass | undefined {
  if (!userClasses || userClasses.length === 0) return undefined;
  const key = normalizeClassName(name);
  return userClasses.find((u) => u.name === name) ?? userClasses.find((u) => normalizeClassName(u.name) === key);
}

/**
 * Category of a class name (and the class it rolls up into, for IG sub-classes).
 *
 * - Well-known names and abbreviations: their own category (see KNOWN).
 * - A lab class (userClasses): 'wbc' when countsAsWbc, else 'other'. When the lab class is also a
 *   well-known name and the lab agrees on whether it is a white cell, the well-known info is kept
 *   (so a lab "Smudge" class not counted as WBC stays 'smudge', and a lab "MMY" still rolls up into
 *   ig); when the lab disagrees, the lab's countsAsWbc wins.
 * - Anything else, UNIDENTIFIED included: 'other'.
 *
 * `name` is returned as given.
 */
export function classInfo(name: string, userClasses?: readonly UserClass[]): ClassInfo {
  const canonical = canonicalClass(name);
  const known = canonical === null ? undefined : KNOWN[canonical];
  const user = findUserClass(name, userClasses);
  if (user && (!known || (known.category === 'wbc') !== user.countsAsWbc)) {
    return { name, category: user.countsAsWbc ? 'wbc' : 'other' };
  }
  if (known) return known.rollup === undefined ? { name, category: known.category } : { name, category: known.category, rollup: known.rollup };
  return { name, category: 'other' };
}

/** True when the class counts in the white-cell differential. */
export function isWbcClass(name: string, userClasses?: readonly UserClass[]): boolean {
  return classInfo(name, userClasses).category === 'wbc';
}
