// Passkeys: sign up, sign out and sign in again with the virtual authenticator.
import { test, expect } from '../support/fixtures';
import { addVirtualAuthenticator } from '../support/webauthn';

test('sign up with a passkey, sign out, and sign in again', async ({ page }) => {
  const authenticator = await addVirtualAuthenticator(page);
  const nickname = `tester${Date.now() % 1_000_000}`;
  await page.goto('/signin');
  await page.getByLabel('Your name').fill('Test Customer');
  await page.getByLabel('Public nickname').fill(nickname);
  await page.getByLabel('Date of birth').fill('1990-04-01');
  await page.getByRole('button', { name: 'Create my account with a passkey' }).click();

  await expect(page).toHaveURL('/customer');
  await expect(page.getByRole('banner')).toContainText('Test Customer');
  // A new customer's own (empty) account, not the demo customer's.
  await expect(page.getByRole('article', { name: 'Ordinary account' })).toContainText('Available¥0');
  expect(await authenticator.credentials()).toHaveLength(1);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'anshin_session');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Strict');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
  expect((await page.context().cookies()).find((c) => c.name === 'anshin_session')).toBeUndefined();

  await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL('/customer');
  await expect(page.getByRole('banner')).toContainText('Test Customer');
  await expect(page.getByRole('article', { name: 'Ordinary account' })).toContainText('Available¥0');
});

test('a nickname that could pass for the bank is refused', async ({ page, failures }) => {
  failures.allow(/HTTP 422: POST .*\/api\/identity\/sign-up\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of 422/);
  await addVirtualAuthenticator(page);
  await page.goto('/signin');
  await page.getByLabel('Your name').fill('Mallory');
  await page.getByLabel('Public nickname').fill('anshin_support');
  await page.getByLabel('Date of birth').fill('1990-04-01');
  await page.getByRole('button', { name: 'Create my account with a passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('must not look like the bank');
});

test('signing in with no passkey on this device says so', async ({ page, failures }) => {
  failures.allow(/console error: .*NotAllowedError|The operation either timed out or was not allowed/);
  // An authenticator that holds no passkey for this site.
  await addVirtualAuthenticator(page);
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('The passkey prompt was closed before it finished');
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
});
