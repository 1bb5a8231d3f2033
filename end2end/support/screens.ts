// Each screen a flow stops at, as a person sees it: axe-core checks it
// against WCAG 2.1 A and AA in English and in Japanese (switched with the
// page's own language control, and back), so a dialog, a card or a step
// that only a flow reaches is held to the same bar as the views' first
// screens (`accessibility.spec.ts`). Screenshots of both are kept for a
// person to look at when ANSHIN_SHOTS names a folder.
import { expect, type Page } from '@playwright/test';
import { violations } from './axe';

const SHOTS = process.env.ANSHIN_SHOTS;

async function judge(page: Page, name: string, lang: string): Promise<void> {
  expect(await violations(page), `${name} in ${lang}`).toEqual([]);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}-${lang}.png`, fullPage: true });
}

// The language control is named in the page's own language.
const CONTROL: Record<string, string> = { en: 'Language', ja: '言語' };

async function switchTo(page: Page, from: string, to: string): Promise<void> {
  await page.getByRole('combobox', { name: CONTROL[from] }).selectOption(to);
  await expect(page.locator('html')).toHaveAttribute('lang', to);
}

/** Judges the screen in the language it is in, then in the other, and leaves it as it was. */
export async function lookAt(page: Page, name: string): Promise<void> {
  const first = (await page.locator('html').getAttribute('lang')) === 'ja' ? 'ja' : 'en';
  const other = first === 'ja' ? 'en' : 'ja';
  await judge(page, name, first);
  // The demo shop is a merchant's page, in one language.
  if ((await page.getByRole('combobox', { name: CONTROL[first] }).count()) === 0) return;
  await switchTo(page, first, other);
  await judge(page, name, other);
  await switchTo(page, other, first);
}
