// Approvals: a request raised by the server appears live on the open page,
// counts down, and is approved with a passkey near the place it names,
// declined, left to expire, or refused from 5 km away.
import { test, expect } from '../support/fixtures';
import type { Page } from '@playwright/test';
import { addVirtualAuthenticator } from '../support/webauthn';
import { north, setLocation, SHIBUYA_STATION } from '../support/geolocation';
import { demoSignIn, signUp } from '../support/session';

/** The server raises a practice request for whoever is signed in on `page`'s context. */
async function raise(page: Page, nearAtm: boolean, seconds: number): Promise<number> {
  const origin = new URL(page.url()).origin;
  const res = await page.request.post('/api/approvals/practice', {
    headers: { origin },
    form: { near_atm: String(nearAtm), seconds: String(seconds) },
  });
  expect(res.status()).toBe(200);
  return (await res.json()).id;
}

async function openApprovals(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Approvals' }).click();
  await expect(page).toHaveURL('/customer/approvals');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Nothing to approve' })).toBeVisible();
}

test('a request appears live, counts down, and is approved with passkey and location', async ({ page, context }) => {
  await addVirtualAuthenticator(page);
  await setLocation(context, north(SHIBUYA_STATION, 80));
  await signUp(page, 'Approver');
  await openApprovals(page);
  // A second tab of the same person, on the notifications page.
  const other = await context.newPage();
  await other.goto('/customer/activity');
  await expect(other.getByRole('heading', { name: 'No notifications yet' })).toBeVisible();

  const id = await raise(page, true, 120);
  const card = page.getByRole('article', { name: 'Practice request' });
  await expect(card).toBeVisible();
  await expect(card).toContainText('¥20,000');
  await expect(card).toContainText('Shibuya Station ATM');
  await expect(card).toContainText('You must be within 300 m of it');
  await expect(card.getByRole('note')).toContainText('If someone on the phone asked you to do this, decline');
  const countdown = card.getByText(/^Time left \d+:\d\d$/);
  const first = await countdown.textContent();
  expect(first).toMatch(/Time left (2:0\d|1:[0-5]\d)/);
  await expect(countdown).not.toHaveText(first!, { timeout: 3_000 });
  // Declining is the safe default: it comes first.
  const buttons = card.getByRole('button');
  await expect(buttons.first()).toHaveText('Decline');

  await expect(other.getByText(/Anshin demo asks you to decide: Practice request/)).toBeVisible();
  await expect(other.getByRole('link', { name: /Notifications \(1 unread\)/ })).toBeVisible();

  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved.' })).toBeVisible();
  const decided = page.locator(`li.decided[data-approval="${id}"]`);
  await expect(decided).toContainText('Approved');
  await expect(page.getByRole('heading', { name: 'Nothing to approve' })).toBeVisible();
  await expect(other.getByText('You approved a request')).toBeVisible();
});

test('a declined request is declined without a passkey', async ({ page }) => {
  await addVirtualAuthenticator(page);
  await signUp(page, 'Decliner');
  await openApprovals(page);
  const id = await raise(page, false, 120);
  const card = page.getByRole('article', { name: 'Practice request' });
  await card.getByRole('button', { name: 'Decline' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Declined. Nothing will happen.' })).toBeVisible();
  await expect(page.locator(`li.decided[data-approval="${id}"]`)).toContainText('Declined');
  await expect(card).toHaveCount(0);
});

test('a request left alone expires on the server', async ({ page }) => {
  await addVirtualAuthenticator(page);
  await signUp(page, 'Waiter');
  await openApprovals(page);
  const id = await raise(page, false, 5);
  const card = page.getByRole('article', { name: 'Practice request' });
  await expect(card).toContainText(/Time left 0:0[1-5]/);
  await expect(page.locator(`li.decided[data-approval="${id}"]`)).toContainText('Expired', { timeout: 10_000 });
  await expect(card).toHaveCount(0);
});

test('approving from 5 km away is refused', async ({ page, context, failures }) => {
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/finish/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  await addVirtualAuthenticator(page);
  await setLocation(context, north(SHIBUYA_STATION, 5_000));
  await signUp(page, 'Faraway');
  await openApprovals(page);
  const id = await raise(page, true, 120);
  const card = page.getByRole('article', { name: 'Practice request' });
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.getByRole('alert')).toContainText(
    'Refused: this phone is 5.0 km from Shibuya Station ATM',
  );
  await expect(page.locator(`li.decided[data-approval="${id}"]`)).toContainText('Refused: too far away');
});

test('someone without a passkey adds one on this device, then approves', async ({ page, failures }) => {
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  await addVirtualAuthenticator(page);
  // The demo personas sign in with one click and have no passkey. Sato, the clerk:
  // Yoko's first passkey belongs to the cardless test, Hanako's and Taro's balances to others.
  await demoSignIn(page, 'sato');
  await page.goto('/customer/approvals');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  const id = await raise(page, false, 120);
  const card = page.locator(`article[data-approval="${id}"]`);
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(card.getByRole('alert')).toContainText('You have no passkey on this account yet');
  await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey added. You can approve now.');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.locator(`li.decided[data-approval="${id}"]`)).toContainText('Approved');
});
