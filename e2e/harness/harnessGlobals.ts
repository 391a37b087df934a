// What the embedding-map harness page (src/ui/map/dev/MapHarness.tsx) exposes to e2e/map.spec.ts.
export {};

declare global {
  interface Window {
    __mapHarness?: { ready: boolean; pcaMs?: number; umapMs?: number; umapError?: string; selected: string[]; cells: number };
  }
}
