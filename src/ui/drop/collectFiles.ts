/**
 * Turn a drop (files and whole folders) or a paste into a flat list of files with relative paths.
 * Hidden and system entries are not walked into but named in `skipped`, so the add report can
 * account for every file the user gave (addFiles skips ignored files passed to it, too).
 */
import { isIgnoredName, type DroppedFile } from '../../core/fileFilter.ts';

export interface CollectedFiles {
  files: DroppedFile[];
  /** paths of hidden/system files and folders that were left out */
  skipped: string[];
  /** entries the browser could not read (a folder or file removed or locked meanwhile): the rest is added */
  unreadable: { name: string; message: string }[];
}

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call: keep reading until it returns none.
  return new Promise((resolve, reject) => {
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: CollectedFiles): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '');
  if (isIgnoredName(entry.name)) {
    out.skipped.push(path || entry.name);
    return;
  }
  try {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.files.push({ file, path });
    } else if (entry.isDirectory) {
      for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, out);
    }
  } catch (e) {
    out.unreadable.push({ name: path || entry.name, message: (e as DOMException | Error)?.message || String(e) });
  }
}

/**
 * The dropped files and the hidden/system entries left out. Must be called synchronously inside the
 * drop handler: DataTransfer items expire after it returns.
 */
export function collectDroppedWithSkipped(dt: DataTransfer): Promise<CollectedFiles> {
  const entries = [...dt.items]
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.() ?? null);
  const files = [...dt.files];
  return (async () => {
    if (entries.length > 0 && entries.every((e) => e !== null)) {
      const out: CollectedFiles = { files: [], skipped: [], unreadable: [] };
      for (const e of entries) await walk(e!, out);
      return out;
    }
    return {
      files: files.filter((f) => !isIgnoredName(f.name)).map((file) => ({ file, path: file.name })),
      skipped: files.filter((f) => isIgnoredName(f.name)).map((f) => f.name),
      unreadable: [],
    };
  })();
}

/** A file input's files (a folder pick includes hidden files: addFiles skips and counts them). */
export function fromFileList(list: FileList | null): DroppedFile[] {
  return [...(list ?? [])].map((file) => ({ file, path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name }));
}

export function fromClipboard(data: DataTransfer | null): DroppedFile[] {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return [...(data?.files ?? [])].map((file, i) => ({
    file,
    path: file.name && file.name !== 'image.png' ? file.name : `pasted-${stamp}-${i + 1}.${file.type.split('/')[1] ?? 'png'}`,
  }));
}
