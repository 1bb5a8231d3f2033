// The customer's accounts and statements, on the demo data (real transfers).
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

test('accounts show available, posted and held money', async ({ page }) => {
  await demoSignIn(page, 'hanako');
  await expect(page).toHaveURL('/customer');
  const main = page.getByRole('article', { name: 'Ordinary account' });
  await expect(main).toContainText('Available¥492,000');
  await expect(main).toContainText('Balance¥500,000');
  await expect(main).toContainText('On hold¥8,000');
  await expect(page.getByRole('article', { name: 'Savings' })).toContainText('¥1,200,000');
});

test('the statement pages back through the history', async ({ page }) => {
  await demoSignIn(page, 'hanako');
  await page.getByRole('link', { name: 'Ordinary account' }).click();
  await expect(page).toHaveURL(/\/customer\/accounts\/\d+$/);
  const lines = page.getByRole('list').filter({ has: page.locator('.statement-line') }).getByRole('listitem');
  await expect(lines).toHaveCount(20);
  await expect(lines.first()).toContainText('Hotel Gracery, deposit hold');
  await expect(lines.first()).toContainText('On hold');
  await page.getByRole('button', { name: 'Show older transactions' }).click();
  await expect(lines).toHaveCount(28);
  await expect(page.getByText('That is the whole history of this account.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Show older transactions' })).toHaveCount(0);
  await expect(lines.last()).toContainText('+¥280,000');
  await page.getByRole('link', { name: '← All accounts' }).click();
  await expect(page).toHaveURL('/customer');
});

test('an account that is not yours is not found', async ({ page, failures }) => {
  failures.allow(/HTTP 404: POST .*\/api\/accounts\/statement/);
  failures.allow(/console error: Failed to load resource: .* status of 404/);
  await demoSignIn(page, 'hanako');
  await page.goto('/customer/accounts/1');
  await expect(page.getByRole('alert')).toContainText('We could not find what you asked for.');
});

test.describe('in Japanese', () => {
  test.use({ locale: 'ja-JP' });
  test('amounts and labels are Japanese, yen formatted', async ({ page }) => {
    await demoSignIn(page, 'hanako');
    await expect(page.getByRole('article', { name: '普通預金' })).toContainText('お引き出し可能額¥492,000');
  });
});

test('someone not signed in is asked to sign in', async ({ page, failures }) => {
  failures.allow(/HTTP 401: POST .*\/api\/accounts\/mine/);
  failures.allow(/console error: Failed to load resource: .* status of 401/);
  await page.goto('/customer');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Please sign in to continue.');
  await alert.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/signin');
});

test('each persona lands on their own view', async ({ page }) => {
  await demoSignIn(page, 'taro');
  await expect(page).toHaveURL('/customer');
  await expect(page.getByRole('banner')).toContainText('Taro Suzuki');
  await expect(page.getByRole('article', { name: 'Ordinary account' })).toContainText('Available¥12,000');
  await demoSignIn(page, 'yoko');
  await expect(page).toHaveURL('/guardian');
  await demoSignIn(page, 'sato');
  await expect(page).toHaveURL('/staff');
});
