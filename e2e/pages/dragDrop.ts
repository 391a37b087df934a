import type { Locator } from '@playwright/test';

export interface DroppedFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/**
 * Drags files onto an element and drops them there, with the events a browser fires (dragenter,
 * dragover, drop) carrying a real DataTransfer — what setInputFiles on a picker cannot check: that
 * the area takes the drop itself and the page-wide cell drop does not.
 */
export async function dropFiles(target: Locator, files: DroppedFile[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.mimeType, bytes: [...f.buffer] }));
  const dataTransfer = await target.page().evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    return dt;
  }, payload);
  for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer });
  await dataTransfer.dispose();
}
