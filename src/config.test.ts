import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, CROSS_LAB_MODEL_ID, DEFAULT_MODEL_ID } from './config.ts';

const manifestOf = (path: string) => new URL(`../public/${path}manifest.json`, import.meta.url);

describe('built-in models', () => {
  it('each has its bundle in public/ with the same id', () => {
    for (const m of BUILTIN_MODELS) {
      expect(existsSync(manifestOf(m.path)), m.path).toBe(true);
      expect((JSON.parse(readFileSync(manifestOf(m.path), 'utf8')) as { id: string }).id).toBe(m.id);
    }
  });

  it('the default is listed first and says why it replaced a previous default', () => {
    expect(BUILTIN_MODELS[0]!.id).toBe(DEFAULT_MODEL_ID);
    expect(BUILTIN_MODELS.map((m) => m.id)).toContain(CROSS_LAB_MODEL_ID);
    const previous = BUILTIN_MODELS.filter((m) => m.previousDefault);
    expect(previous.map((m) => m.id)).not.toContain(DEFAULT_MODEL_ID);
    // the notice a workstation on a previous default sees needs the reason
    if (previous.length > 0) expect(BUILTIN_MODELS[0]!.whyDefault?.length ?? 0).toBeGreaterThan(40);
    for (const m of BUILTIN_MODELS.slice(1)) expect(m.whyDefault, m.id).toBeUndefined();
  });
});
