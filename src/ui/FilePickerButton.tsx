/** A button-styled file (or folder) picker; the input is reset after each pick so the same file can be picked again. */
export function FilePickerButton({ label, onFiles, accept, multiple = false, folder = false, secondary = false }: {
  label: string;
  onFiles(files: FileList): void;
  accept?: string;
  multiple?: boolean;
  folder?: boolean;
  secondary?: boolean;
}) {
  const folderProps = folder ? ({ webkitdirectory: '' } as Record<string, string>) : {};
  return (
    <label className={secondary ? 'button button--secondary' : 'button'}>
      {label}
      <input
        type="file"
        multiple={multiple || folder}
        accept={accept}
        {...folderProps}
        onChange={(e) => {
          if (e.currentTarget.files) onFiles(e.currentTarget.files);
          e.currentTarget.value = '';
        }}
      />
    </label>
  );
}
