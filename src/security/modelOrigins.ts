import { parseOrigins } from './csp.ts';

/** Origins this build may fetch model bundles from besides its own (VITE_MODEL_ORIGINS at build time). */
export const MODEL_ORIGINS: string[] = parseOrigins(import.meta.env.VITE_MODEL_ORIGINS as string | undefined);
