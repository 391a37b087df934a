import { describe, expect, it } from 'vitest';
import { listLabelledFolder, renameClasses, suggestClassNames } from './labelledFolder.ts';

const entries = (paths: string[]) => paths.map((path) => ({ path, size: 100 }));

describe('listLabelledFolder', () => {
  it('reads one sub-folder per class of the picked folder (a directory input includes its name)', () => {
    const l = listLabelledFolder(entries(['train/basophil/b1.jpg', 'train/basophil/b2.PNG', 'train/blast/x.webp', 'train/blast/y.avif', 'train/blast/z.bmp', 'train/smudge/s.gif']));
    expect(l.root).toBe('train');
    expect(l.classes).toEqual([
      { name: 'basophil', count: 2 },
      { name: 'blast', count: 3 },
      { name: 'smudge', count: 1 },
    ]);
    expect(l.files.map((f) => f.className)).toEqual(['basophil', 'basophil', 'blast', 'blast', 'blast', 'smudge']);
    expect(l.skipped).toEqual([]);
    expect(l.messages).toEqual([]);
  });

  it('class folders dropped directly, and Windows separators', () => {
    const l = listLabelledFolder(entries(['basophil\\b1.jpg', 'blast\\x.jpg']));
    expect(l.root).toBe('');
    expect(l.classes.map((c) => c.name)).toEqual(['basophil', 'blast']);
  });

  it('reads deeper folders as their top folder’s class and says so', () => {
    const l = listLabelledFolder(entries(['lab/blast/patient 1/a.jpg', 'lab/blast/patient 2/b.jpg', 'lab/blast/c.jpg', 'lab/lymphocyte/l.jpg']));
    expect(l.classes).toEqual([
      { name: 'blast', count: 3 },
      { name: 'lymphocyte', count: 1 },
    ]);
    expect(l.messages).toEqual(['2 images in sub-folders of "blast" (e.g. "blast/patient 1/a.jpg") read as class "blast".']);
  });

  it('descends into a single wrapping folder, and names it', () => {
    const l = listLabelledFolder(entries(['data/pbc/train/a/1.jpg', 'data/pbc/train/b/2.jpg']));
    expect(l.root).toBe('data/pbc/train');
    expect(l.classes.map((c) => c.name)).toEqual(['a', 'b']);
    expect(l.messages).toEqual(['Read "data/pbc/train" as the labelled folder: its sub-folders are the classes.']);
  });

  it('a folder of images with no class folders is one class (training then refuses it as one class)', () => {
    const l = listLabelledFolder(entries(['blast/1.jpg', 'blast/2.jpg']));
    expect(l.classes).toEqual([{ name: 'blast', count: 2 }]);
  });

  it('counts hidden/system files, lists non-images, unsupported formats, empty files and loose files', () => {
    const l = listLabelledFolder([
      ...entries(['t/.DS_Store', 't/a/._1.jpg', 't/a/Thumbs.db', 't/__MACOSX/a/1.jpg', 't/.git/config', 't/a/desktop.ini']),
      ...entries(['t/a/1.jpg', 't/b/2.jpg', 't/a/notes.txt', 't/a/scan.tif', 't/b/photo.HEIC', 't/b/cell.svg', 't/readme.jpg', 't/b/noext']),
      { path: 't/b/empty.png', size: 0 },
    ]);
    expect(l.hidden).toBe(6);
    expect(l.files.map((f) => f.path)).toEqual(['t/a/1.jpg', 't/b/2.jpg']);
    expect(l.skipped.map((s) => [s.path, s.reason, s.message])).toEqual([
      ['t/a/notes.txt', 'not-an-image', 'Not an image file (.txt).'],
      ['t/a/scan.tif', 'unsupported-format', 'TIFF is not supported: export the crops as JPEG or PNG.'],
      ['t/b/photo.HEIC', 'unsupported-format', 'HEIC/HEIF images are not supported by the browser: export the crops as JPEG or PNG.'],
      ['t/b/cell.svg', 'unsupported-format', 'SVG is not accepted: cell crops must be raster images (JPEG or PNG).'],
      ['t/b/noext', 'not-an-image', 'Not an image file (no file extension).'],
      ['t/b/empty.png', 'empty', 'Empty file (0 bytes).'],
      ['t/readme.jpg', 'outside-class-folder', 'Not inside a class folder (each class needs a folder of its own).'],
    ]);
    expect(l.messages).toEqual(['6 hidden or system files (such as .DS_Store or Thumbs.db) skipped.', '7 files skipped (listed with the reason).']);
  });

  it('warns about folder names that differ only in case', () => {
    const l = listLabelledFolder(entries(['x/Blast/1.jpg', 'x/blast/2.jpg']));
    expect(l.classes.map((c) => c.name)).toEqual(['Blast', 'blast']);
    expect(l.messages).toEqual(['Folders "Blast" and "blast" differ only in case: read as two classes (rename one to merge them).']);
  });
});

describe('class names', () => {
  it('offers the encoder’s spelling for a case-insensitive match, never forces it; new classes are allowed', () => {
    expect(suggestClassNames(['Neutrophil', 'lymphocyte', 'blast', ' Monocyte '], ['neutrophil', 'lymphocyte', 'monocyte'])).toEqual([
      { folder: 'Neutrophil', suggestion: 'neutrophil', isNew: true },
      { folder: 'lymphocyte', suggestion: null, isNew: false },
      { folder: 'blast', suggestion: null, isNew: true },
      { folder: ' Monocyte ', suggestion: 'monocyte', isNew: true },
    ]);
  });

  it('renames (accepting suggestions) and merges folders given the same name', () => {
    const l = listLabelledFolder(entries(['x/Neutrophil/1.jpg', 'x/neutrophil/2.jpg', 'x/blast/3.jpg']));
    const r = renameClasses(l, { Neutrophil: 'neutrophil' });
    expect(r.classes).toEqual([
      { name: 'blast', count: 1 },
      { name: 'neutrophil', count: 2 },
    ]);
  });
});
