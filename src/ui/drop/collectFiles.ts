/** Turn a drop (files and whole folders) or a paste into a flat list of files with relative paths. */
import type { DroppedFile } from '../../store/actions.ts';

const IGNORED = /^(\.|thumbs\.db$|desktop\.ini$)/i;

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

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  if (IGNORED.test(entry.name)) return;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

/** Must be called synchronously inside the drop handler: DataTransfer items expire after it returns. */
export function collectDropped(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries = [...dt.items]
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.() ?? null);
  const files = [...dt.files];
  return (async () => {
    if (entries.length > 0 && entries.every((e) => e !== null)) {
      const out: DroppedFile[] = [];
      for (const e of entries) await walk(e!, out);
      return out;
    }
    return files.filter((f) => !IGNORED.test(f.name)).map((file) => ({ file, path: file.name }));
  })();
}

export function fromFileList(list: FileList | null): DroppedFile[] {
  return [...(list ?? [])]
    .filter((f) => !IGNORED.test(f.name))
    .map((file) => ({ file, path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name }));
}

export function fromClipboard(data: DataTransfer | null): DroppedFile[] {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return [...(data?.files ?? [])].map((file, i) => ({
    file,
    path: file.name && file.name !== 'image.png' ? file.name : `pasted-${stamp}-${i + 1}.${file.type.split('/')[1] ?? 'png'}`,
  }));
}
