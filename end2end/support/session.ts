// Signing in as one of the demo personas with the landing page's one-click buttons.
import { expect, type Page } from '@playwright/test';

const LABELS = {
  hanako: /^Hanako — customer$|^花子 — お客さま$/,
  taro: /^Taro — minor|^太郎 — 未成年/,
  yoko: /^Yoko — Taro's guardian$|^陽子 — 太郎の保護者$/,
  sato: /^Sato — bank clerk$|^佐藤 — 行員$/,
  yui: /^Yui — customer asking Hanako for money$|^結衣 — 花子にお金を頼んでいるお客さま$/,
};

// Where each persona lands: another bundle's page (shared::bundle), loaded anew.
const HOMES = { hanako: '/customer', taro: '/customer', yoko: '/guardian', sato: '/staff', yui: '/customer' };

/** The path of the document the page last loaded (not where its router went since). */
async function loadedPath(page: Page): Promise<string> {
  try {
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return nav && document.readyState === 'complete' ? new URL(nav.name).pathname : '';
    });
  } catch {
    return ''; // the page is between documents
  }
}

export async function demoSignIn(page: Page, persona: keyof typeof LABELS): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: LABELS[persona] }).click();
  await expect.poll(() => loadedPath(page)).toBe(HOMES[persona]);
  await expect(page.getByRole('banner').getByRole('button', { name: /Sign out|サインアウト/ })).toBeVisible();
  // Let the persona's own view finish loading, so the test's next navigation aborts nothing.
  if (persona === 'hanako' || persona === 'taro' || persona === 'yui') {
    await expect(page.getByRole('article').first()).toBeVisible();
  }
}

/** Signs a new customer up with the page's virtual authenticator; returns their nickname. */
export async function signUp(page: Page, name: string): Promise<string> {
  const nickname = `${name.toLowerCase().replace(/[^a-z]/g, '')}${Date.now() % 1_000_000}${Math.floor(Math.random() * 100)}`;
  await page.goto('/signin');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Public nickname').fill(nickname);
  await page.getByLabel('Date of birth').fill('1990-04-01');
  await page.getByRole('button', { name: 'Create my account with a passkey' }).click();
  await expect(page).toHaveURL('/customer');
  await expect(page.getByRole('article').first()).toBeVisible();
  return nickname;
}
