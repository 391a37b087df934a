/** Stable fallbacks for selectors: a new [] per call would make zustand re-render forever. */
export const NO_CLASSES: string[] = [];
