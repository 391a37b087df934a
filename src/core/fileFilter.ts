/**
 * Files (and folders) the app ignores on purpose when cells are added: hidden files and the ones
 * operating systems leave in folders (.DS_Store, Thumbs.db, desktop.ini, macOS's __MACOSX folder in
 * unpacked zips). They are not cells, but the user is told how many were skipped, so every file
 * given is accounted for.
 */

const IGNORED_NAME = /^(\.|thumbs\.db$|ehthumbs\.db$|desktop\.ini$|__macosx$|icon\r$)/i;

/** True for a file or folder name (not a path) that is skipped on purpose. */
export function isIgnoredName(name: string): boolean {
  return IGNORED_NAME.test(name);
}

/** True when any part of a relative path ("a/.hidden/b.jpg", "__MACOSX/x.jpg") is ignored. */
export function isIgnoredPath(path: string): boolean {
  return path.split('/').some((part) => part !== '' && isIgnoredName(part));
}

/** "3 hidden or system files skipped (.DS_Store, Thumbs.db)" — names listed once each, at most `max`. */
export function skippedLine(paths: readonly string[], max = 3): string {
  const n = paths.length;
  const names = [...new Set(paths.map((p) => p.split('/').filter(Boolean).pop() ?? p))];
  const shown = names.slice(0, max).join(', ') + (names.length > max ? ', …' : '');
  return `${n} hidden or system file${n === 1 ? '' : 's'} skipped (${shown})`;
}

/** A file the user gave (picked, dropped or pasted). */
export interface DroppedFile {
  file: File;
  /** Relative path inside a dropped folder, or just the file name. */
  path: string;
}
