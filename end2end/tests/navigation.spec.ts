// Moving around without reloads, with a working back button and keyboard.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';
import type { Page } from '@playwright/test';

/** The paths of the WASM files this page has fetched. */
const wasmFiles = (page: Page) =>
  page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((r) => new URL(r.name).pathname)
      .filter((n) => n.endsWith('.wasm')),
  );

test('links navigate client-side and back returns', async ({ page }) => {
  await demoSignIn(page, 'hanako');
  await page.goto('/customer');
  await expect(page.getByRole('article', { name: 'Savings' })).toBeVisible();
  // A marker on window survives only if no full page load happens.
  await page.evaluate(() => ((window as unknown as { spaMarker: number }).spaMarker = 42));

  await page.getByRole('navigation', { name: 'Customer' }).getByRole('link', { name: 'Approvals' }).click();
  await expect(page).toHaveURL('/customer/approvals');
  await expect(page.getByRole('heading', { name: 'Nothing to approve' })).toBeVisible();

  await page.goBack();
  await expect(page).toHaveURL('/customer');
  await expect(page.getByRole('article', { name: 'Savings' })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { spaMarker?: number }).spaMarker)).toBe(42);
});

test('another view\'s bundle loads from the server, and back returns', async ({ page }) => {
  await demoSignIn(page, 'sato');
  const wasms = () => wasmFiles(page);
  await page.goto('/staff');
  await expect(page.getByRole('heading', { name: 'No one is waiting' })).toBeVisible();
  expect(await wasms()).toEqual([expect.stringMatching(/^\/anshin-staff-/)]);

  // The guardian's views are a bundle of their own: the page loads it, not a not-found page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Guardian' }).click();
  await expect(page).toHaveURL('/guardian');
  await expect(page.getByRole('heading', { name: 'No one linked yet' })).toBeVisible();
  expect(await wasms()).toEqual([expect.stringMatching(/^\/anshin-guardian-/)]);

  await page.goBack();
  await expect(page).toHaveURL('/staff');
  await expect(page.getByRole('heading', { name: 'No one is waiting' })).toBeVisible();

  // The kiosk's bundle, camera decoder and all, comes only with the kiosk.
  await page.goto('/atm');
  await expect(page.getByRole('heading', { name: 'Welcome' })).toBeVisible();
  expect(await wasms()).toEqual([expect.stringMatching(/^\/anshin-atm-/)]);

});

test('the customer\'s cash is a bundle of its own, and back returns to the accounts', async ({ page }) => {
  await demoSignIn(page, 'hanako');
  const wasms = () => wasmFiles(page);
  await page.goto('/customer');
  await expect(page.getByRole('article', { name: 'Savings' })).toBeVisible();
  expect(await wasms()).toEqual([expect.stringMatching(/^\/anshin-customer-/)]);
  await page.getByRole('navigation', { name: 'Customer' }).getByRole('link', { name: 'Cash' }).click();
  await expect(page).toHaveURL('/customer/cash');
  await expect(page.getByRole('heading', { name: 'Cash without a card' })).toBeVisible();
  expect(await wasms()).toEqual([expect.stringMatching(/^\/anshin-cash-/)]);
  await page.goBack();
  await expect(page).toHaveURL('/customer');
  await expect(page.getByRole('article', { name: 'Savings' })).toBeVisible();
});

test('keyboard users can skip to the content', async ({ page, failures }) => {
  // Signed out, the guardian's overview answers 401 and the page offers to sign in.
  failures.allow(/HTTP 401: POST .*\/api\/guardian\/overview/);
  failures.allow(/console error: Failed to load resource: .* status of 401/);
  await page.goto('/guardian');
  await expect(page.getByRole('heading', { level: 1, name: 'Guardian' })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#content')).toBeFocused();
});

test('on a phone every customer tab is in view, in English and Japanese', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await demoSignIn(page, 'hanako');
  await page.goto('/customer');
  const tabs = page.getByRole('navigation', { name: 'Customer' });
  await expect(tabs.getByRole('link')).toHaveCount(8);
  // Nothing to scroll sideways for: the strip is no wider than the screen.
  const overflow = () => tabs.evaluate((nav) => nav.scrollWidth - nav.clientWidth);
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.screenshot({ path: test.info().outputPath('customer-tabs-en.png') });
  await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  const jaTabs = page.getByRole('navigation', { name: 'お客さま' });
  await expect(jaTabs.getByRole('link')).toHaveCount(8);
  expect(await jaTabs.evaluate((nav) => nav.scrollWidth - nav.clientWidth)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: test.info().outputPath('customer-tabs-ja.png') });
});
