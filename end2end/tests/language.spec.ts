// Japanese and English: follows the browser, switchable, remembered.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

test.describe('in a Japanese browser', () => {
  test.use({ locale: 'ja-JP' });

  test('speaks Japanese, switches to English and remembers it', async ({ page }) => {
    await demoSignIn(page, 'hanako');
    await page.goto('/customer');
    await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
    await expect(page.getByRole('heading', { level: 1, name: 'お客さま' })).toBeVisible();
    await expect(page.getByText('お引き出し可能額').first()).toBeVisible();
    // The bank's names for its accounts travel as codes and are translated too.
    await expect(page.getByRole('article', { name: '普通預金' })).toBeVisible();
    await expect(page.getByRole('article', { name: '貯蓄預金' })).toBeVisible();
    await expect(page).toHaveTitle('お客さま · 安心');

    await page.getByRole('combobox', { name: '言語' }).selectOption('en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('heading', { level: 1, name: 'Customer' })).toBeVisible();

    await expect(page.getByRole('article', { name: 'Ordinary account' })).toBeVisible();

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Customer' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');

    // Another bundle's page reads the same choice.
    await page.goto('/guardian');
    await expect(page.getByRole('heading', { level: 1, name: 'Guardian' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });

  test('the landing status is translated too', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('status').filter({ hasText: '接続しました' })).toContainText('データベース：sqlite');
  });
});

test('an English browser gets English and can pick Japanese', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
  await expect(page.getByRole('heading', { level: 1, name: '安心' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
});
