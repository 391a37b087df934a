import { useEffect, useState } from 'react';
import { getCellImage } from '../store/actions.ts';

/** Object URL for a cell's image, created when the component mounts and revoked when it unmounts. */
export function useCellImageUrl(id: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    let created: string | null = null;
    void getCellImage(id).then((blob) => {
      if (!alive || !blob) return;
      created = URL.createObjectURL(blob);
      setUrl(created);
    });
    return () => {
      alive = false;
      if (created) URL.revokeObjectURL(created);
    };
  }, [id]);
  return url;
}
