// Benchmarks that print figures (not tests): the same server and browser as
// the end-to-end suite, one worker, a long timeout. Run with
// `npx playwright test -c bench.config.ts` (see the README).
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '**/*.bench.ts',
  timeout: 15 * 60_000,
  workers: 1,
  reporter: [['list']],
});
