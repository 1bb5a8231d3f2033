// The `test` every spec uses: it fails a test on any console error, uncaught
// page error, failed request or HTTP error answer, unless the test declared
// that failure as expected with `failures.allow(/pattern/)`. `isolated`
// gives a test a server of its own (flags from `test.use({ serverArgs })`),
// whose pages are watched the same way.
import { test as base, expect, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { startServer } from './server';

export type FailureGuard = {
  /** Tolerate failures whose description matches (e.g. a request the test aborts). */
  allow(pattern: RegExp): void;
  /** Watch another page (another context's, another browser's) as closely as `page`. */
  watch(page: Page): void;
};

export type Isolated = {
  origin: string;
  /** A page in a new context on this server, from `browser` (default: the test's). */
  newPage(options?: BrowserContextOptions & { browser?: Browser }): Promise<Page>;
};

export const test = base.extend<{ failures: FailureGuard; serverArgs: string[]; isolated: Isolated }>({
  failures: [
    async ({ page }, use) => {
      const problems: string[] = [];
      const allowed: RegExp[] = [];
      const watch = (p: Page) => {
        p.on('console', (msg) => {
          if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
        });
        p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        p.on('requestfailed', (req) => {
          // A request cut short by the test navigating away is not a failure of the app.
          if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
          problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
        });
        p.on('response', (res) => {
          if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
        });
      };
      watch(page);
      await use({ allow: (pattern) => allowed.push(pattern), watch });
      const unexpected = problems.filter((p) => !allowed.some((a) => a.test(p)));
      expect(unexpected, 'console errors or failed requests').toEqual([]);
    },
    { auto: true },
  ],
  serverArgs: [[], { option: true }],
  isolated: async ({ browser, serverArgs, failures }, use) => {
    const server = await startServer(serverArgs);
    const contexts: Array<{ close(): Promise<void> }> = [];
    await use({
      origin: server.origin,
      newPage: async ({ browser: from, ...options } = {}) => {
        const context = await (from ?? browser).newContext({ baseURL: server.origin, ...options });
        contexts.push(context);
        const page = await context.newPage();
        failures.watch(page);
        return page;
      },
    });
    for (const c of contexts) await c.close().catch(() => {});
    await server.stop();
  },
});

export { expect };
