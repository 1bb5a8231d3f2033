// The `test` every spec uses: it fails a test on any console error, uncaught
// page error, failed request or HTTP error answer, unless the test declared
// that failure as expected with `failures.allow(/pattern/)`.
import { test as base, expect } from '@playwright/test';

export type FailureGuard = {
  /** Tolerate failures whose description matches (e.g. a request the test aborts). */
  allow(pattern: RegExp): void;
};

export const test = base.extend<{ failures: FailureGuard }>({
  failures: [
    async ({ page }, use) => {
      const problems: string[] = [];
      const allowed: RegExp[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) => {
        // A request cut short by the test navigating away is not a failure of the app.
        if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
        problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
      });
      page.on('response', (res) => {
        if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
      });
      await use({ allow: (pattern) => allowed.push(pattern) });
      const unexpected = problems.filter((p) => !allowed.some((a) => a.test(p)));
      expect(unexpected, 'console errors or failed requests').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
