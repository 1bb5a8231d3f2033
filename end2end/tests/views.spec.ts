// Each view loads on its own address and shows its real shell.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

test('landing explains Anshin and reports the live service status', async ({ page }) => {
  const response = await page.goto('/');
  // The app runs under a strict policy (any violation would fail the test as a console error).
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'sha256-");
  expect(csp).not.toContain('unsafe-inline');
  await expect(page.getByRole('heading', { level: 1, name: 'Anshin' })).toBeVisible();
  await expect(page.getByText('Safe money movement when the person')).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Connected to Anshin' })).toContainText(
    /Connected to Anshin \d+\.\d+\.\d+, database sqlite\./,
  );
  for (const view of ['Customer', 'Guardian', 'Staff', 'ATM']) {
    await expect(page.getByRole('main').getByRole('link', { name: new RegExp(`^${view}`) })).toBeVisible();
  }
  await expect(page).toHaveTitle('Anshin');
});

const shells = [
  // The customer's notifications are theirs: Hanako signs in first (no one raises anything for her here).
  { path: '/customer/activity', title: 'Customer', tabs: ['Activity', 'Accounts', 'Approvals'], empty: 'No notifications yet', as: 'hanako' as const },
  // Yoko's first section shows the minor in her care (Taro) rather than an empty state.
  { path: '/guardian', title: 'Guardian', tabs: ['People in my care', 'Purchases', 'Rules'], empty: 'Taro Suzuki (taro)', as: 'yoko' as const },
  { path: '/staff', title: 'Staff', tabs: ['Consultations', 'ATM fleet', 'People', 'Audit trail'], empty: 'No one is waiting', as: 'sato' as const },
];

for (const shell of shells) {
  test(`${shell.title} view has its header, sections and empty state`, async ({ page }) => {
    if (shell.as) await demoSignIn(page, shell.as);
    await page.goto(shell.path);
    await expect(page.getByRole('heading', { level: 1, name: shell.title })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    const sections = page.getByRole('navigation', { name: shell.title });
    for (const tab of shell.tabs) await expect(sections.getByRole('link', { name: tab })).toBeVisible();
    await expect(sections.getByRole('link', { name: shell.tabs[0] })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByRole('heading', { name: shell.empty })).toBeVisible();
    await expect(page).toHaveTitle(`${shell.title} · Anshin`);
  });
}

test('ATM view is a full-screen kiosk without site navigation', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/atm');
  await expect(page.getByRole('heading', { name: 'Welcome' })).toBeVisible();
  await expect(page.getByText('This kiosk is not enrolled as an ATM yet.')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  const box = await page.locator('.kiosk').boundingBox();
  expect(box).toEqual({ x: 0, y: 0, width: 1280, height: 800 });
});

test('a deep link opens the right section', async ({ page }) => {
  await demoSignIn(page, 'sato');
  await page.goto('/staff/atms');
  const sections = page.getByRole('navigation', { name: 'Staff' });
  await expect(sections.getByRole('link', { name: 'ATM fleet' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('article', { name: 'Shibuya Station' })).toBeVisible();
});

test('an unknown address shows the not-found page with a way back', async ({ page }) => {
  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to the start' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Anshin' })).toBeVisible();
});

test('customer view fits a phone screen', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await demoSignIn(page, 'hanako');
  await page.goto('/customer');
  await expect(page.getByRole('article', { name: 'Ordinary account' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
