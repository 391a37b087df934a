import { useEffect, useRef, useState } from 'react';
import { addFiles } from '../../store/actions.ts';
import { FilePickerButton } from '../FilePickerButton.tsx';
import { collectDropped, fromClipboard, fromFileList } from './collectFiles.ts';

/** Page-wide drop target + paste handler + the "Add cell images" file input (and a folder input). */
export function DropZone() {
  const [over, setOver] = useState(false);
  const depth = useRef(0);

  useEffect(() => {
    const onDragEnter = (e: DragEvent): void => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      depth.current++;
      setOver(true);
    };
    const onDragLeave = (): void => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    };
    const onDragOver = (e: DragEvent): void => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const onDrop = (e: DragEvent): void => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      depth.current = 0;
      setOver(false);
      void collectDropped(e.dataTransfer).then(addFiles);
    };
    const onPaste = (e: ClipboardEvent): void => {
      const files = fromClipboard(e.clipboardData);
      if (files.length) {
        e.preventDefault();
        void addFiles(files);
      }
    };
    window.addEventListener('dragenter', onDragEnter);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('dragenter', onDragEnter);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('paste', onPaste);
    };
  }, []);

  return (
    <section className={`dropzone${over ? ' dropzone--over' : ''}`} aria-label="Add images">
      <p>
        <strong>Drop single-cell crops or whole folders anywhere on this page</strong>, paste an image, or choose files.
        Images never leave this computer.
      </p>
      <div className="dropzone__inputs">
        <FilePickerButton label="Add cell images" multiple accept="image/*" onFiles={(f) => void addFiles(fromFileList(f))} />
        <FilePickerButton label="Add a folder" folder secondary onFiles={(f) => void addFiles(fromFileList(f))} />
      </div>
    </section>
  );
}
