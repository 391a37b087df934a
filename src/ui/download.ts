/** Save text as a file through a temporary object URL. */
export function download(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const stamp = (): string => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');

/**
 * A sample ID as it can go into a file name on every system: characters other than letters, digits,
 * dot, dash and underscore become "_", at most 60 characters; empty when there is no ID.
 */
export function fileNamePart(sampleId: string | null | undefined): string {
  return (sampleId ?? '').trim().replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+|_+$/g, '').slice(0, 60);
}

/** `dinobloom-<sample>-cells-<time>.csv`, or without the sample part when the case has no ID yet. */
export function resultsFileName(sampleId: string | null | undefined, ext: 'csv' | 'json'): string {
  const part = fileNamePart(sampleId);
  return `dinobloom-${part ? `${part}-` : ''}cells-${stamp()}.${ext}`;
}
