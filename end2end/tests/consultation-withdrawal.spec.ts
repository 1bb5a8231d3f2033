// Flow F1 end to end: in a consultation the clerk pushes a withdrawal form;
// it appears live on the customer's phone, who edits the amount, sets the
// ATM password and confirms with a passkey; the money goes into a
// sub-account whose number and password (shown to the customer only, also
// as a QR code) take the cash at a kiosk, with this withdrawal's own fee.
// Then again with the kiosk's camera reading the QR; then five wrong
// passwords lock one, and a passkey unlocks it; and, on a server whose
// sub-accounts last seconds, unclaimed money goes back. No response the
// clerk's page receives ever holds a password.
import { test, expect } from '../support/fixtures';
import { lookAt } from '../support/screens';
import type { Browser, Page } from '@playwright/test';
import { addVirtualAuthenticator } from '../support/webauthn';
import { demoSignIn } from '../support/session';
import { launchWithCamera, launchWithFakeMedia, videoOfImage } from '../support/camera';
import { enrollKiosk, kioskCode } from '../support/kiosk';
import type { Isolated } from '../support/fixtures';

/** Everything the page received from the API, to search for secrets. */
function recordResponses(page: Page): string[] {
  const bodies: string[] = [];
  page.on('response', async (res) => {
    if (!res.url().includes('/api/')) return;
    try {
      bodies.push(await res.text());
    } catch {
      // A stream (the live channel) has no body to read here; its events are the inbox's.
    }
  });
  return bodies;
}

/** A customer (Hanako, with a virtual authenticator) in a consultation the clerk (Sato) has taken. */
async function meet(isolated: Isolated, media: Browser): Promise<{ phone: Page; clerk: Page; card: ReturnType<Page['getByRole']> }> {
  const clerk = await isolated.newPage({ browser: media, viewport: { width: 1280, height: 900 } });
  await clerk.context().grantPermissions(['camera', 'microphone']);
  await demoSignIn(clerk, 'sato');
  await clerk.goto('/staff');
  await expect(clerk.getByText('Live', { exact: true })).toBeVisible();
  const phone = await isolated.newPage({ browser: media, viewport: { width: 390, height: 844 } });
  await phone.context().grantPermissions(['camera', 'microphone']);
  await addVirtualAuthenticator(phone);
  await demoSignIn(phone, 'hanako');
  await phone.goto('/customer/consult');
  await phone.getByLabel('What would you like to talk about?').fill('Cash for my mother');
  await phone.getByRole('button', { name: 'Ask for a consultation' }).click();
  await clerk.getByRole('article', { name: 'Hanako Yamada' }).getByRole('button', { name: 'Take this consultation' }).click();
  const card = clerk.getByRole('article', { name: 'Talking with Hanako Yamada' });
  await expect(phone.getByRole('status').filter({ hasText: 'You are talking with Sato Kenji' })).toBeVisible();
  return { phone, clerk, card };
}

/** The clerk pushes a form; returns how long it took to appear on the phone (both clocks are this machine's). */
async function pushForm(clerk: Page, card: ReturnType<Page['getByRole']>, phone: Page, suggested?: number): Promise<number> {
  await phone.evaluate(() => {
    (window as any).__formSeen = 0;
    new MutationObserver((_, observer) => {
      if (document.getElementById('withdrawal-form-heading')) {
        (window as any).__formSeen = Date.now();
        observer.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await card.getByLabel('Suggested amount in yen (optional)').fill(suggested ? String(suggested) : '');
  await clerk.evaluate(() => {
    document.querySelector('.clerk-form form')!.addEventListener('submit', () => {
      (window as any).__pushedAt = Date.now();
    }, { capture: true, once: true });
  });
  await card.getByRole('button', { name: 'Send the form to the customer' }).click();
  await expect(phone.getByRole('heading', { name: 'Cash withdrawal form' })).toBeVisible();
  await expect.poll(() => phone.evaluate(() => (window as any).__formSeen)).toBeGreaterThan(0);
  const seen = await phone.evaluate(() => (window as any).__formSeen as number);
  const pushed = await clerk.evaluate(() => (window as any).__pushedAt as number);
  return seen - pushed;
}

/** Confirms the form on the phone; returns the sub-account number and password it shows once. */
async function confirmForm(phone: Page, opts: { amount?: number; password?: string }): Promise<{ number: string; password: string }> {
  if (opts.amount) await phone.getByLabel('Amount (yen)').fill(String(opts.amount));
  if (opts.password) {
    await phone.getByRole('radio', { name: 'I will choose one' }).check();
    await phone.getByLabel('Your password (6 to 8 digits)').fill(opts.password);
  }
  // The last code shown is put away first, so the one read below is this form's.
  const code = phone.getByRole('region', { name: 'Your withdrawal code' });
  if (await code.count()) await code.getByRole('button', { name: 'I have noted it' }).click();
  await expect(code).toHaveCount(0);
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await expect(code).toBeVisible();
  const number = (await code.locator('.code-card__number').textContent())!.trim();
  const password = (await code.locator('.code-card__password').textContent())!.trim();
  expect(number).toMatch(/^\d{8}$/);
  return { number, password };
}

async function typeAtKiosk(kiosk: Page, number: string, password: string): Promise<void> {
  await kiosk.getByLabel('Sub-account number').fill(number);
  await typePassword(kiosk, password);
}

/** The password on the on-screen keypad, then Withdraw. */
async function typePassword(kiosk: Page, password: string): Promise<void> {
  await kiosk.getByLabel('Password').focus();
  const keypad = kiosk.getByRole('group', { name: 'Keypad' });
  for (const digit of password) await keypad.getByRole('button', { name: digit, exact: true }).click();
  await kiosk.getByRole('button', { name: 'Withdraw', exact: true }).click();
}

test('a pushed form becomes cash with the number and password, then with the QR; the clerk never sees the password', async ({ isolated, failures }) => {
  test.setTimeout(240_000);
  // Hanako has no passkey yet: the first confirmation says so (409) and she adds one.
  failures.allow(/HTTP 409: POST .*\/api\/withdrawal-forms\/begin-confirm/);
  failures.allow(/console error: Failed to load resource: .* status of (409|422)/);
  failures.allow(/HTTP 422: POST .*\/api\/kiosk\/code/);
  failures.allow(/HTTP 409: POST .*\/api\/kiosk\/code/);
  failures.allow(/HTTP 403: POST .*\/api\/kiosk\/code/);
  failures.allow(/console error: Failed to load resource: .* status of 403/);
  const media = await launchWithFakeMedia();
  const { phone, clerk, card } = await meet(isolated, media);
  const clerkSaw = recordResponses(clerk);

  const pushToForm = await pushForm(clerk, card, phone, 30_000);
  console.log(`pushed form: visible on the phone ${pushToForm} ms after the clerk sent it`);
  await expect(card.getByText('Form opened')).toBeVisible();
  await expect(phone.getByLabel('Amount (yen)')).toHaveValue('30000');
  await expect(phone.getByText('Fee for a withdrawal with a code: ¥220')).toBeVisible();
  await lookAt(phone, 'phone-form');

  // A password the policy refuses is caught before the passkey; then she has no passkey yet, and adds one.
  await phone.getByRole('radio', { name: 'I will choose one' }).check();
  await phone.getByLabel('Your password (6 to 8 digits)').fill('123456');
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await expect(phone.getByRole('alert')).toContainText('straight run');
  await phone.getByLabel('Amount (yen)').fill('40000');
  await phone.getByLabel('Your password (6 to 8 digits)').fill('407193');
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await phone.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Passkey added' })).toBeVisible();
  await expect(card.getByText('Amount submitted')).toBeVisible();
  const first = await confirmForm(phone, {});
  expect(first.password).toBe('407193');
  await expect(phone.getByRole('img', { name: 'QR code with your sub-account number and password' })).toBeVisible();
  await lookAt(phone, 'phone-code');
  await expect(card.getByText('Ready at any ATM')).toBeVisible();
  await expect(card.locator('.clerk-form__progress')).toContainText('¥40,000');
  await clerk.screenshot({ path: test.info().outputPath('clerk-progress.png'), fullPage: true });

  // At the kiosk, with the keypad: cash with its own fee, not the cardless ¥110.
  const kiosk = await isolated.newPage({ viewport: { width: 1280, height: 800 } });
  await enrollKiosk(kiosk, await kioskCode(clerk, 1), 'Shibuya Station');
  await kiosk.getByRole('button', { name: 'Withdraw with a code' }).click();
  await kiosk.screenshot({ path: test.info().outputPath('kiosk-keypad.png') });
  await typeAtKiosk(kiosk, first.number, '902718');
  await expect(kiosk.getByRole('alert')).toContainText('The number or the password is not right.');
  await kiosk.getByRole('button', { name: 'Withdraw with a code' }).click();
  await typeAtKiosk(kiosk, first.number, first.password);
  await expect(kiosk.getByRole('heading', { name: 'Please take your cash' })).toBeVisible();
  await kiosk.getByRole('button', { name: 'I have taken my cash' }).click();
  const receipt = kiosk.getByRole('definition').locator('..');
  await expect(receipt.filter({ hasText: 'Fee (withdrawal with a code)' })).toContainText('¥220');
  await expect(receipt.filter({ hasText: 'Taken from your account' })).toContainText('¥40,220');
  await kiosk.screenshot({ path: test.info().outputPath('kiosk-code-receipt.png') });
  await expect(card.getByText('Taken at an ATM')).toBeVisible();

  // Again: the phone's QR code, read by a kiosk's camera.
  await pushForm(clerk, card, phone);
  const second = await confirmForm(phone, { amount: 10_000 });
  const qr = test.info().outputPath('sub-account-qr.png');
  await phone.getByRole('img', { name: 'QR code with your sub-account number and password' }).screenshot({ path: qr });
  const camera = await launchWithCamera(videoOfImage(qr));
  const camKiosk = await isolated.newPage({ browser: camera, viewport: { width: 1280, height: 800 } });
  await camKiosk.context().grantPermissions(['camera'], { origin: isolated.origin });
  await enrollKiosk(camKiosk, await kioskCode(clerk, 1));
  await expect(camKiosk.getByRole('heading', { name: 'Please take your cash' })).toBeVisible({ timeout: 15_000 });
  await expect(camKiosk.getByText('¥10,000 is being dispensed.')).toBeVisible();
  await camera.close();

  // Five wrong passwords lock the third; the phone is told and unlocks it with the passkey.
  await pushForm(clerk, card, phone, 5_000);
  const third = await confirmForm(phone, {});
  await phone.getByRole('region', { name: 'Your withdrawal code' }).getByRole('button', { name: 'I have noted it' }).click();
  // Enrolling the camera kiosk retired the first one's credential: it says so, and is enrolled again.
  // The receipt goes back to the start by itself after a while; either way the start screen follows.
  await kiosk.getByRole('button', { name: 'Done — back to start' }).click({ timeout: 2_000 }).catch(() => {});
  await kiosk.getByRole('button', { name: 'Withdraw with a code' }).click();
  await typeAtKiosk(kiosk, third.number, third.password);
  await expect(kiosk.getByRole('alert')).toContainText('no longer enrolled');
  await enrollKiosk(kiosk, await kioskCode(clerk, 1), 'Shibuya Station');
  // After a wrong password the keypad keeps the number: only the password is typed again.
  const wrongPassword = third.password === '902718' ? '902719' : '902718';
  await kiosk.getByRole('button', { name: 'Withdraw with a code' }).click();
  await typeAtKiosk(kiosk, third.number, wrongPassword);
  for (let i = 1; i < 5; i++) {
    await expect(kiosk.getByRole('alert')).toContainText('not right');
    if (i === 1) await kiosk.screenshot({ path: test.info().outputPath('kiosk-wrong-password.png') });
    await kiosk.getByRole('button', { name: 'Try the password again' }).click();
    await expect(kiosk.getByLabel('Sub-account number')).toHaveValue(third.number);
    await expect(kiosk.getByLabel('Password')).toHaveValue('');
    if (i === 1) await kiosk.screenshot({ path: test.info().outputPath('kiosk-number-kept.png') });
    await typePassword(kiosk, wrongPassword);
  }
  await expect(kiosk.getByRole('alert')).toBeVisible();
  await kiosk.getByRole('button', { name: 'Back' }).click();
  await kiosk.getByRole('button', { name: 'Withdraw with a code' }).click();
  await typeAtKiosk(kiosk, third.number, third.password);
  await expect(kiosk.getByRole('alert')).toContainText('locked after 5 wrong passwords');
  const item = phone.locator(`li.code-list__item`).filter({ hasText: third.number });
  await expect(item).toContainText('Locked');
  await expect(card.getByText('5 wrong passwords')).toBeVisible();
  await expect(item.getByRole('button', { name: 'Unlock with passkey' })).toBeVisible();
  // The clerk asks for a new password; the customer confirms one with the passkey and it works.
  await card.getByRole('button', { name: 'Ask the customer to set a new password' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Asked' })).toBeVisible();
  await item.getByRole('button', { name: 'Get a new password (passkey)' }).click();
  const renewed = phone.getByRole('region', { name: 'Your withdrawal code' });
  await expect(renewed).toContainText(third.number);
  const newPassword = (await renewed.locator('.code-card__password').textContent())!.trim();
  await expect(item).toContainText('Ready at any ATM');
  await phone.screenshot({ path: test.info().outputPath('phone-new-password.png'), fullPage: true });
  await kiosk.getByRole('button', { name: 'Back' }).click();
  await kiosk.getByRole('button', { name: 'Withdraw with a code' }).click();
  await typeAtKiosk(kiosk, third.number, newPassword);
  await expect(kiosk.getByRole('heading', { name: 'Please take your cash' })).toBeVisible();

  // The clerk's pages and every answer they received: no password anywhere.
  const clerkHtml = await clerk.content();
  for (const secret of [first.password, second.password, third.password, newPassword]) {
    expect(clerkHtml).not.toContain(secret);
    for (const body of clerkSaw) expect(body).not.toContain(secret);
  }
  expect(clerkSaw.length).toBeGreaterThan(10);

  // The consultation ends; its history shows what came of it.
  await card.getByRole('button', { name: 'End the consultation' }).click();
  await clerk.getByRole('link', { name: 'History' }).click();
  const row = clerk.getByRole('row').filter({ hasText: 'Cash for my mother' });
  await expect(row).toContainText('Taken at an ATM');
  await expect(row).toContainText('¥5,000');
  await clerk.screenshot({ path: test.info().outputPath('clerk-history.png'), fullPage: true });
  await media.close();
});

test.describe('a sub-account nobody collects', () => {
  test.use({ serverArgs: ['--sub-account-ttl-ms', '4000'] });

  test('its money goes back to the main account when it expires', async ({ isolated, failures }) => {
    test.setTimeout(90_000);
    failures.allow(/HTTP 409: POST .*\/api\/withdrawal-forms\/begin-confirm/);
    failures.allow(/console error: Failed to load resource: .* status of 409/);
    const media = await launchWithFakeMedia();
    const { phone, clerk, card } = await meet(isolated, media);
    await pushForm(clerk, card, phone, 20_000);
    await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
    await phone.getByRole('button', { name: 'Add a passkey on this device' }).click();
    await expect(phone.getByRole('status').filter({ hasText: 'Passkey added' })).toBeVisible();
    const code = await confirmForm(phone, {});
    const item = phone.locator('li.code-list__item').filter({ hasText: code.number });
    await expect(item).toContainText('Ready at any ATM');
    await expect(item).toContainText('Expired; money returned', { timeout: 20_000 });
    await expect(card.getByText('Expired; money returned')).toBeVisible();
    await phone.goto('/customer');
    await expect(phone.getByRole('article').filter({ hasText: 'Ordinary account' })).toContainText(/Available\s*¥492,000/);
    // The same list in Japanese.
    await phone.goto('/customer/cash');
    await phone.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await expect(phone.getByRole('heading', { name: '担当者と手配した出金' })).toBeVisible();
    await expect(phone.locator('li.code-list__item').filter({ hasText: code.number })).toContainText('期限切れ・返金済み');
    await phone.screenshot({ path: test.info().outputPath('phone-cash-ja.png'), fullPage: true });
    await media.close();
  });
});
