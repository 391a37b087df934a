import { useEffect, useRef, useState } from 'react';
import { addDropped, addFiles } from '../../store/actions.ts';
import { FilePickerButton } from '../FilePickerButton.tsx';
import { collectDroppedWithSkipped, fromClipboard, fromFileList } from './collectFiles.ts';

/** Page-wide drop target and paste handler (mounted once, whatever the layout shows). */
export function usePageDrop(): boolean {
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
      void addDropped(collectDroppedWithSkipped(e.dataTransfer));
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
  return over;
}

/** The "Add cell images" file input (the one the contract names) and the folder input. */
export function AddCellButtons({ compact = false }: { compact?: boolean }) {
  return (
    <span className={`add-buttons${compact ? ' add-buttons--compact' : ''}`}>
      <FilePickerButton label="Add cell images" multiple accept="image/*" onFiles={(f) => void addFiles(fromFileList(f))} />
      <FilePickerButton label="Add a folder" folder secondary onFiles={(f) => void addFiles(fromFileList(f))} />
    </span>
  );
}

/** The big drop target of the first visit. */
export function DropZone({ over }: { over: boolean }) {
  return (
    <div className={`dropzone${over ? ' dropzone--over' : ''}`}>
      <p>
        <strong>Drop single-cell crops or whole folders anywhere on this page</strong>, paste an image, or choose files. Images never leave this
        computer.
      </p>
      <AddCellButtons />
    </div>
  );
}
