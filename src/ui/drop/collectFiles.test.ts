import { describe, expect, it } from 'vitest';
import { collectDroppedWithSkipped } from './collectFiles.ts';

/** Minimal stand-ins for the entries Chromium gives for a dropped folder tree. */
const fileEntry = (fullPath: string, fail?: string) => ({
  isFile: true,
  isDirectory: false,
  name: fullPath.split('/').pop()!,
  fullPath,
  file: (ok: (f: File) => void, err: (e: Error) => void) => (fail ? err(new Error(fail)) : ok(new File(['x'], fullPath.split('/').pop()!))),
});
const dirEntry = (fullPath: string, children: unknown[] | Error) => ({
  isFile: false,
  isDirectory: true,
  name: fullPath.split('/').pop()!,
  fullPath,
  createReader: () => {
    let given = false;
    return {
      readEntries: (ok: (b: unknown[]) => void, err: (e: Error) => void) => {
        if (children instanceof Error) return err(children);
        const batch = given ? [] : children;
        given = true;
        ok(batch);
      },
    };
  },
});
const drop = (entries: unknown[]) =>
  ({ items: entries.map((e) => ({ kind: 'file', webkitGetAsEntry: () => e })), files: [] }) as unknown as DataTransfer;

describe('collectDroppedWithSkipped', () => {
  it('walks folders, names hidden files as skipped, and reports unreadable entries without losing the rest', async () => {
    const got = await collectDroppedWithSkipped(drop([
      dirEntry('/slide', [fileEntry('/slide/a.jpg'), fileEntry('/slide/.DS_Store'), fileEntry('/slide/b.jpg', 'NotReadableError: the file changed'), dirEntry('/slide/locked', new Error('permission denied'))]),
      fileEntry('/c.jpg'),
    ]));
    expect(got.files.map((f) => f.path)).toEqual(['slide/a.jpg', 'c.jpg']);
    expect(got.skipped).toEqual(['slide/.DS_Store']);
    expect(got.unreadable).toEqual([
      { name: 'slide/b.jpg', message: 'NotReadableError: the file changed' },
      { name: 'slide/locked', message: 'permission denied' },
    ]);
  });
});
