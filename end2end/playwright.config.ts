// Playwright drives Debian's Chromium (no browser download) against the real
// `anshin` server, started here on a free port with a fresh SQLite file, in
// demo mode (the seeded customer's accounts are what the customer view shows).
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { BIN, serveCommand } from './support/server';

// Workers load this file too; they inherit what the main process decided.
process.env.ANSHIN_E2E_PORT ??= '3107';
process.env.ANSHIN_E2E_DATA ??= mkdtempSync(join(tmpdir(), 'anshin-e2e-'));

const port = Number(process.env.ANSHIN_E2E_PORT);
// A fresh SQLite file, unless a database is named (the benchmarks run on PostgreSQL too).
const dbUrl =
  process.env.ANSHIN_E2E_DATABASE_URL ?? `sqlite://${join(process.env.ANSHIN_E2E_DATA, 'e2e.db')}?mode=rwc`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    // localhost, not 127.0.0.1: WebAuthn needs a domain as relying-party id.
    baseURL: `http://localhost:${port}`,
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
  webServer: {
    command: [BIN, ...serveCommand(port, dbUrl)].map((a) => `"${a}"`).join(' '),
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
