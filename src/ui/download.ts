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
