/**
 * Shared Playwright test object: every page records `securitypolicyviolation` events from the very
 * first script, and a test fails if the app triggered any (the built app runs under a strict CSP).
 */
import { expect, test as base } from '@playwright/test';

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ context }, use) => {
      await context.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__cspViolations!.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      await use();
      for (const page of context.pages()) {
        if (page.isClosed()) continue;
        const violations = await page.evaluate(() => window.__cspViolations ?? []).catch(() => [] as string[]);
        expect(violations, `CSP violations on ${page.url()}`).toEqual([]);
      }
    },
    { auto: true },
  ],
});

export { expect };
