// Screenshots of a screen in English and in Japanese, for a person to look
// at (only when ANSHIN_SHOTS names a folder): the page is switched to
// Japanese with its language control and back.
import { expect, type Page } from '@playwright/test';

const SHOTS = process.env.ANSHIN_SHOTS;

export async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  await page.screenshot({ path: `${SHOTS}/${name}-en.png`, fullPage: true });
  await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await page.screenshot({ path: `${SHOTS}/${name}-ja.png`, fullPage: true });
  await page.getByRole('combobox', { name: '言語' }).selectOption('en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
}
