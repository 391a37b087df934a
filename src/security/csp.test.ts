import { describe, expect, it } from 'vitest';
import { buildCsp, isAllowedModelUrl, parseOrigins, refusedModelUrlMessage } from './csp.ts';

describe('content security policy', () => {
  it('has the required directives and lists the model origins under connect-src only', () => {
    const csp = buildCsp(['https://intranet.lab']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self' https://intranet.lab");
    expect(csp).toContain("img-src 'self' blob: data:");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("'unsafe-inline'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(buildCsp([], { forMeta: true })).not.toContain('frame-ancestors');
  });

  it('parses VITE_MODEL_ORIGINS into origins and refuses anything else with a clear message', () => {
    expect(parseOrigins(' https://a.lab/models/, http://b.lab:8080 ')).toEqual(['https://a.lab', 'http://b.lab:8080']);
    expect(parseOrigins(undefined)).toEqual([]);
    expect(isAllowedModelUrl('/models/x/manifest.json', 'http://app.lab', [])).toBe(true);
    expect(isAllowedModelUrl('https://a.lab/m/manifest.json', 'http://app.lab', ['https://a.lab'])).toBe(true);
    expect(isAllowedModelUrl('https://evil.example/m.json', 'http://app.lab', ['https://a.lab'])).toBe(false);
    expect(refusedModelUrlMessage('https://evil.example/m.json', 'http://app.lab', ['https://a.lab'])).toMatch(/https:\/\/evil\.example is not allowed.*VITE_MODEL_ORIGINS/);
  });
});
