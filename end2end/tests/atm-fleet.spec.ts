// Staff register an ATM and get a one-time code; a kiosk browser enters it
// and becomes that ATM; staff refill its cash and take it out of service.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

test('a kiosk becomes the ATM staff registered, until staff revoke it', async ({ page, browser }) => {
  const name = `Ebisu ${Date.now() % 100_000}`;
  await demoSignIn(page, 'sato');
  await page.goto('/staff/atms');
  // The demo's machine is listed with its cash.
  await expect(page.getByRole('article', { name: 'Shibuya Station' })).toContainText('¥2,000,000');

  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Address').fill('1-5-5 Ebisu-Minami, Shibuya-ku, Tokyo');
  await page.getByLabel('Latitude').fill('35.6467');
  await page.getByLabel('Longitude').fill('139.7101');
  await page.getByLabel('Cash to load (yen, whole thousands)').fill('800000');
  await page.getByRole('button', { name: 'Register and get a kiosk code' }).click();
  const codeBox = page.getByRole('status').filter({ hasText: `Kiosk code for ${name}` });
  await expect(codeBox).toBeVisible();
  const code = (await codeBox.locator('.enrollment-code__code').textContent())!.trim();
  expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  const card = page.getByRole('article', { name });
  await expect(card).toContainText('Waiting for kiosk');
  await expect(card).toContainText('¥800,000');

  const kioskContext = await browser.newContext();
  const kiosk = await kioskContext.newPage();
  await kiosk.goto('/atm');
  await expect(kiosk.getByText('This kiosk is not enrolled as an ATM yet.')).toBeVisible();
  await kiosk.getByLabel('Enrollment code').fill(code.toLowerCase());
  await kiosk.getByRole('button', { name: 'Make this screen the ATM' }).click();
  await expect(kiosk.getByText(`This screen is ${name}.`)).toBeVisible();
  await kiosk.reload();
  await expect(kiosk.getByText(`This screen is ${name}.`)).toBeVisible();

  await card.getByLabel(`Refill amount for ${name} (yen)`).fill('200000');
  await card.getByRole('button', { name: 'Refill' }).click();
  await expect(card).toContainText('¥1,000,000');
  await expect(card).toContainText('In service');

  await card.getByRole('button', { name: 'Take out of service' }).click();
  await expect(card).toContainText('Out of service');
  await kiosk.reload();
  await expect(kiosk.getByText('This kiosk is not enrolled as an ATM yet.')).toBeVisible();
  await kioskContext.close();
});
