// Staff browse the audit trail; nobody else may.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

test('a clerk sees sign-ins and money movements in the chain', async ({ page }) => {
  await demoSignIn(page, 'sato');
  await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Audit trail' }).click();
  const table = page.getByRole('table', { name: 'Audit trail' });
  // Other tests share this server and write entries too: the clerk's own sign-in is among the
  // newest, not necessarily the very newest.
  await expect(table.getByRole('row').filter({ hasText: 'auth.demo_sign_in' }).first()).toBeVisible();
  await expect(table).toContainText('ledger.single');
  await expect(table.getByRole('columnheader', { name: 'Chain hash' })).toBeVisible();
});

test('a customer is not allowed to read it', async ({ page, failures }) => {
  failures.allow(/HTTP 403: POST .*\/api\/audit\/page/);
  failures.allow(/console error: Failed to load resource: .* status of 403/);
  await demoSignIn(page, 'hanako');
  await page.goto('/staff/audit');
  await expect(page.getByRole('alert')).toContainText('You are not allowed to do this.');
});
