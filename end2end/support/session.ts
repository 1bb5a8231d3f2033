// Signing in as one of the demo personas with the landing page's one-click buttons.
import { expect, type Page } from '@playwright/test';

const LABELS = {
  hanako: /^Hanako — customer$|^花子 — お客さま$/,
  taro: /^Taro — minor|^太郎 — 未成年/,
  yoko: /^Yoko — Taro's guardian$|^陽子 — 太郎の保護者$/,
  sato: /^Sato — bank clerk$|^佐藤 — 行員$/,
};

export async function demoSignIn(page: Page, persona: keyof typeof LABELS): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: LABELS[persona] }).click();
  await expect(page.getByRole('banner').getByRole('button', { name: /Sign out|サインアウト/ })).toBeVisible();
  // Let the persona's own view finish loading, so the test's next navigation aborts nothing.
  if (persona === 'hanako' || persona === 'taro') {
    await expect(page.getByRole('article').first()).toBeVisible();
  }
}
