import { useEffect, useState, type RefObject } from 'react';
import { getCellImage } from '../store/actions.ts';

let observer: IntersectionObserver | null = null;
const waiting = new Map<Element, () => void>();

/** One shared observer: a thumbnail reads its image only when it comes within ~2 screens of view. */
function whenNearViewport(el: Element, cb: () => void): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    cb();
    return () => {};
  }
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const fn = waiting.get(e.target);
        waiting.delete(e.target);
        observer!.unobserve(e.target);
        fn?.();
      }
    },
    { rootMargin: '200% 0px' },
  );
  waiting.set(el, cb);
  observer.observe(el);
  return () => {
    waiting.delete(el);
    observer?.unobserve(el);
  };
}

/**
 * Object URL for a cell's image, revoked on unmount. With `lazyRef`, nothing is read until the element
 * is near the viewport, so a 5,000-cell case does not pull 5,000 images out of IndexedDB at once.
 */
export function useCellImageUrl(id: string, lazyRef?: RefObject<Element | null>): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!id) return;
    let alive = true;
    let created: string | null = null;
    const load = (): void => {
      void getCellImage(id).then((blob) => {
        if (!alive || !blob) return;
        created = URL.createObjectURL(blob);
        setUrl(created);
      });
    };
    const el = lazyRef?.current;
    const stop = el ? whenNearViewport(el, load) : (load(), () => {});
    return () => {
      alive = false;
      stop();
      if (created) URL.revokeObjectURL(created);
    };
  }, [id, lazyRef]);
  return url;
}
