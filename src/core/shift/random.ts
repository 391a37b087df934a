/**
 * Seeded pseudo-random numbers for reproducible samples (the reference sample, simulated batches,
 * the synthetic shifts): the generator and shuffle are the training code's (src/core/training/folds.ts),
 * plus a seed per file name.
 */
export { mulberry32, shuffleInPlace } from '../training/folds.ts';

/** FNV-1a hash of a string: a seed per file name (so one file's random shift does not depend on the others). */
export function hashSeed(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
