/**
 * How a lab writes class names on screen and in a printed report, the conventional order of a
 * differential (neutrophil, lymphocyte, monocyte, eosinophil, basophil, then the rest), and the
 * short words a thumbnail's badge has room for. Only display: the class names the model and the
 * store use (and that exports carry) are never changed.
 */
import { canonicalClass, NOT_CLASSED } from './cellTypes.ts';

/** Canonical name → what labs write (abbreviations as they are used in reports). */
const LAB_LABEL: Readonly<Record<string, string>> = {
  ig: 'IG',
  erythroblast: 'NRBC',
  metamyelocyte: 'Metamyelocyte (MMY)',
  myelocyte: 'Myelocyte (MY)',
  promyelocyte: 'Promyelocyte (PMY)',
  'large granular lymphocyte': 'Large granular lymphocyte (LGL)',
};

/** Canonical name → a word or two for a thumbnail badge ("model: lymph 46 %"). */
const SHORT_LABEL: Readonly<Record<string, string>> = {
  neutrophil: 'neut',
  'segmented neutrophil': 'seg',
  'band neutrophil': 'band',
  lymphocyte: 'lymph',
  'atypical lymphocyte': 'atyp lymph',
  monocyte: 'mono',
  eosinophil: 'eos',
  basophil: 'baso',
  ig: 'IG',
  metamyelocyte: 'MMY',
  myelocyte: 'MY',
  promyelocyte: 'PMY',
  erythroblast: 'NRBC',
  platelet: 'plt',
  'giant platelet': 'giant plt',
  'platelet clump': 'plt clump',
  smudge: 'smudge',
  blast: 'blast',
};

const capitalise = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/**
 * A class as a lab writes it: "IG", "NRBC", "Neutrophil", "Not classed". Names the app does not
 * know keep their own spelling apart from a capital first letter ("hairy cell" → "Hairy cell");
 * names already written with capitals are left alone ("MDS blast", "MMY").
 */
export function labLabel(name: string): string {
  // An abbreviation the lab or model already writes in capitals ("MMY", "BNE") stays as written.
  if (/[A-Z]/.test(name) && !/[a-z]/.test(name)) return name;
  const canonical = canonicalClass(name);
  if (canonical !== null && LAB_LABEL[canonical] !== undefined) return LAB_LABEL[canonical];
  return /[A-Z]/.test(name) ? name : capitalise(name);
}

/** A few letters for a badge: "lymph", "IG", "NRBC"; unknown names cut to 10 characters. */
export function shortLabel(name: string): string {
  if (name === NOT_CLASSED) return 'not classed';
  const canonical = canonicalClass(name);
  if (canonical !== null && SHORT_LABEL[canonical] !== undefined) return SHORT_LABEL[canonical];
  return name.length <= 10 ? name : `${name.slice(0, 9)}…`;
}

/** The conventional order of white cells in a differential; anything else follows in its own order. */
const CONVENTIONAL: readonly string[] = [
  'neutrophil',
  'segmented neutrophil',
  'band neutrophil',
  'lymphocyte',
  'atypical lymphocyte',
  'large granular lymphocyte',
  'monocyte',
  'eosinophil',
  'basophil',
];

/**
 * Items in the conventional order (neutrophil, lymphocyte, monocyte, eosinophil, basophil), then
 * every other item in the order it came (stable), whatever the model's own class order is.
 */
export function conventionalOrder<T>(items: readonly T[], nameOf: (item: T) => string): T[] {
  const rank = (item: T): number => {
    const c = canonicalClass(nameOf(item));
    const i = c === null ? -1 : CONVENTIONAL.indexOf(c);
    return i < 0 ? CONVENTIONAL.length : i;
  };
  return items
    .map((item, index) => ({ item, index, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.item);
}

/** The probability a badge shows, as a whole percentage ("46 %"). */
export function percentText(p: number): string {
  return `${Math.round(p * 100)} %`;
}

/**
 * What a thumbnail's badge says. The number is always the model's probability for the model's own
 * top class, so once a reviewer has given the cell another class the badge names the model's class
 * ("model: lymph 46 %") instead of leaving a bare number next to the reviewer's class.
 */
export function badgeText(view: { topClass: string | null; confidence: number | null; className: string | null }, reviewed: boolean): string {
  if (view.confidence === null) return '…';
  const pct = percentText(view.confidence);
  if (reviewed && view.topClass !== null && view.topClass !== view.className) return `model: ${shortLabel(view.topClass)} ${pct}`;
  return pct;
}

/** One sentence about the model's and the reviewer's class, for the large cell view. */
export function reviewSentence(view: { topClass: string | null; confidence: number | null; className: string | null }, userClass: string | null): string {
  if (view.topClass === null || view.confidence === null) return userClass ? `Reviewer set ${labLabel(userClass)}.` : 'No result yet.';
  const model = `Model said ${labLabel(view.topClass)} (${percentText(view.confidence)})`;
  if (userClass === null) return `${model}; not reviewed yet.`;
  if (userClass === view.topClass) return `${model}; reviewer confirmed it.`;
  return `${model}; reviewer set ${labLabel(userClass)}.`;
}
