/**
 * How a labelled folder is read: one sub-folder per class, from the files' relative paths (a
 * directory input's webkitRelativePath, a drop's entry paths, or the CLI's walk). The rules, each
 * stated to the lab in `messages` when it applied:
 *   - the folders every file shares are the dataset folder itself ("train/basophil/1.jpg": class
 *     "basophil"); when all files sit in one single folder, that folder is the (only) class;
 *   - files in sub-folders of a class folder belong to that class ("blast/patient 1/x.jpg": "blast");
 *   - hidden and system files (.DS_Store, ._x, Thumbs.db, desktop.ini, __MACOSX/…) are skipped and
 *     counted; files outside any class folder, non-image files and formats the app cannot decode
 *     (TIFF, HEIC, SVG) are listed and skipped. Whether an image file really decodes is decided when
 *     it is read (src/core/imageSniff.ts), per file, and never stops the others.
 */

export interface FolderEntry {
  /** relative path, '/' or '\' separated, e.g. "train/basophil/BA_1.jpg" */
  path: string;
  /** bytes, when known (0 = empty file, skipped) */
  size?: number;
}

export interface LabelledFile {
  /** index into the entries given */
  index: number;
  path: string;
  className: string;
}

export type SkipReason = 'not-an-image' | 'unsupported-format' | 'empty' | 'outside-class-folder';

export interface SkippedFile {
  index: number;
  path: string;
  reason: SkipReason;
  message: string;
}

export interface LabelledFolderListing {
  /** the folder read as the dataset folder ('' when the class folders were given directly) */
  root: string;
  /** by name */
  classes: { name: string; count: number }[];
  files: LabelledFile[];
  skipped: SkippedFile[];
  /** hidden/system files skipped (not listed one by one) */
  hidden: number;
  messages: string[];
}

/** Extensions of the formats the app decodes (JPEG, PNG, BMP, GIF, WebP, AVIF). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'bmp', 'dib', 'gif', 'webp', 'avif']);

const UNSUPPORTED: Readonly<Record<string, string>> = {
  tif: 'TIFF is not supported: export the crops as JPEG or PNG.',
  tiff: 'TIFF is not supported: export the crops as JPEG or PNG.',
  heic: 'HEIC/HEIF images are not supported by the browser: export the crops as JPEG or PNG.',
  heif: 'HEIC/HEIF images are not supported by the browser: export the crops as JPEG or PNG.',
  svg: 'SVG is not accepted: cell crops must be raster images (JPEG or PNG).',
};

const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db', 'icon\r']);

/** Longest class name a bundle manifest accepts. */
export const MAX_CLASS_NAME = 64;

export function isHiddenPath(segments: string[]): boolean {
  return segments.some((s) => s.startsWith('.') || s === '__MACOSX') || SYSTEM_FILES.has(segments[segments.length - 1]!.toLowerCase());
}

function extension(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(i + 1).toLowerCase() : '';
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function listLabelledFolder(entries: FolderEntry[]): LabelledFolderListing {
  const messages: string[] = [];
  const skipped: SkippedFile[] = [];
  let hidden = 0;
  const candidates: { index: number; path: string; segs: string[] }[] = [];
  entries.forEach((e, index) => {
    const path = e.path.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
    const segs = path.split('/').filter((s) => s.length > 0);
    if (segs.length === 0) return;
    if (isHiddenPath(segs)) {
      hidden++;
      return;
    }
    const ext = extension(segs[segs.length - 1]!);
    if (!IMAGE_EXTENSIONS.has(ext)) {
      const message = UNSUPPORTED[ext] ?? (ext ? `Not an image file (.${ext}).` : 'Not an image file (no file extension).');
      skipped.push({ index, path, reason: UNSUPPORTED[ext] ? 'unsupported-format' : 'not-an-image', message });
      return;
    }
    if (e.size === 0) {
      skipped.push({ index, path, reason: 'empty', message: 'Empty file (0 bytes).' });
      return;
    }
    candidates.push({ index, path, segs });
  });

  // the folders all image files share are the dataset folder; if that leaves every file directly
  // inside it (one single folder), that folder is the class
  let prefix = candidates.length > 0 ? candidates[0]!.segs.slice(0, -1) : [];
  for (const c of candidates) {
    let k = 0;
    while (k < prefix.length && k < c.segs.length - 1 && prefix[k] === c.segs[k]) k++;
    prefix = prefix.slice(0, k);
  }
  if (candidates.length > 0 && prefix.length > 0 && candidates.every((c) => c.segs.length === prefix.length + 1)) prefix = prefix.slice(0, -1);
  const root = prefix.join('/');
  if (prefix.length > 1) messages.push(`Read "${root}" as the labelled folder: its sub-folders are the classes.`);

  const files: LabelledFile[] = [];
  const counts = new Map<string, number>();
  const nested = new Map<string, { n: number; example: string }>();
  const long = new Set<string>();
  for (const c of candidates) {
    const rest = c.segs.slice(prefix.length);
    if (rest.length < 2) {
      skipped.push({ index: c.index, path: c.path, reason: 'outside-class-folder', message: 'Not inside a class folder (each class needs a folder of its own).' });
      continue;
    }
    let className = rest[0]!.trim();
    if (className.length > MAX_CLASS_NAME) {
      long.add(className);
      className = className.slice(0, MAX_CLASS_NAME).trim();
    }
    if (rest.length > 2) {
      const nest = nested.get(className) ?? { n: 0, example: rest.join('/') };
      nest.n++;
      nested.set(className, nest);
    }
    counts.set(className, (counts.get(className) ?? 0) + 1);
    files.push({ index: c.index, path: c.path, className });
  }
  for (const [cls, { n, example }] of nested) {
    messages.push(`${n} image${n === 1 ? '' : 's'} in sub-folders of "${cls}" (e.g. "${example}") read as class "${cls}".`);
  }
  for (const name of long) messages.push(`Folder name "${name.slice(0, 20)}…" is longer than ${MAX_CLASS_NAME} characters: shortened to make the class name.`);
  const names = [...counts.keys()].sort(byName);
  const seen = new Map<string, string>();
  for (const name of names) {
    const other = seen.get(name.toLowerCase());
    if (other) messages.push(`Folders "${other}" and "${name}" differ only in case: read as two classes (rename one to merge them).`);
    else seen.set(name.toLowerCase(), name);
  }
  if (hidden > 0) messages.push(`${hidden} hidden or system file${hidden === 1 ? '' : 's'} (such as .DS_Store or Thumbs.db) skipped.`);
  if (skipped.length > 0) messages.push(`${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped (listed with the reason).`);
  files.sort((a, b) => byName(a.className, b.className) || byName(a.path, b.path));
  return { root, classes: names.map((name) => ({ name, count: counts.get(name)! })), files, skipped, hidden, messages };
}

export interface ClassSuggestion {
  /** the folder's class name */
  folder: string;
  /** an existing class of the encoder spelled differently (case, spaces), offered as the name to use */
  suggestion: string | null;
  /** true when the name (as given) is not one of the encoder's classes */
  isNew: boolean;
}

/**
 * Offer the encoder's existing class names for folder names that match them ignoring case and
 * surrounding spaces ("Neutrophil" → "neutrophil"); the lab accepts or keeps its own name. Names
 * without a match are new classes (band neutrophil, blast, smudge…), which are allowed.
 */
export function suggestClassNames(folderClasses: string[], encoderClasses: string[]): ClassSuggestion[] {
  const exact = new Set(encoderClasses);
  const loose = new Map<string, string>();
  for (const c of encoderClasses) if (!loose.has(c.trim().toLowerCase())) loose.set(c.trim().toLowerCase(), c);
  return folderClasses.map((folder) => {
    if (exact.has(folder)) return { folder, suggestion: null, isNew: false };
    const match = loose.get(folder.trim().toLowerCase()) ?? null;
    return { folder, suggestion: match, isNew: true };
  });
}

/** Rename classes of a listing (folder name → chosen name; folders given the same name merge). */
export function renameClasses(listing: LabelledFolderListing, names: Readonly<Record<string, string>>): LabelledFolderListing {
  const to = (c: string) => (names[c] ?? c).trim() || c;
  const files = listing.files.map((f) => ({ ...f, className: to(f.className) }));
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.className, (counts.get(f.className) ?? 0) + 1);
  return {
    ...listing,
    files: files.sort((a, b) => byName(a.className, b.className) || byName(a.path, b.path)),
    classes: [...counts.keys()].sort(byName).map((name) => ({ name, count: counts.get(name)! })),
  };
}
