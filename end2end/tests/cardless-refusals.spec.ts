// The ways a cardless withdrawal is refused, each seen on both devices: the
// phone too far from the ATM, the customer declining, a code scanned twice,
// a code that expired, and an ATM without enough cash. Each test has a
// server of its own, so its personas' balances and passkeys are its own.
import { test, expect, type Isolated } from '../support/fixtures';
import type { Page } from '@playwright/test';
import { addVirtualAuthenticator } from '../support/webauthn';
import { north, setLocation, SHIBUYA_STATION } from '../support/geolocation';
import { demoSignIn } from '../support/session';
import { lookAt } from '../support/screens';
import { enrollKiosk, kioskCode, prepareCash, registerAtm, typeCode } from '../support/kiosk';

/** Hanako's phone, signed in, `metres` north of Shibuya Station. */
async function phoneOf(isolated: Isolated, metres = 50): Promise<Page> {
  const phone = await isolated.newPage();
  await setLocation(phone.context(), north(SHIBUYA_STATION, metres));
  await demoSignIn(phone, 'hanako');
  return phone;
}

async function clerk(isolated: Isolated): Promise<Page> {
  const staff = await isolated.newPage();
  await demoSignIn(staff, 'sato');
  return staff;
}

/** A kiosk enrolled as the demo's Shibuya Station ATM. */
async function shibuyaKiosk(isolated: Isolated, staff: Page): Promise<Page> {
  const kiosk = await isolated.newPage({ viewport: { width: 1280, height: 800 } });
  await enrollKiosk(kiosk, await kioskCode(staff, 1), 'Shibuya Station');
  return kiosk;
}

/** The phone's ordinary account shows `held` on hold (Hanako's demo hold is ¥8,000). */
async function expectOnHold(phone: Page, held: string): Promise<void> {
  await phone.goto('/customer');
  await expect(phone.getByRole('article', { name: 'Ordinary account' })).toContainText(`On hold${held}`);
}

async function cancelFromList(phone: Page, code: string): Promise<void> {
  await phone.goto('/customer/cash');
  const row = phone.locator(`li.decided[data-withdrawal="${code.split('-')[0]}"]`);
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toContainText('Cancelled');
}

test('a phone 5 km from the ATM is refused; the money stays reserved until cancelled', async ({ isolated, failures }) => {
  test.setTimeout(60_000);
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/(begin|finish)/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const phone = await phoneOf(isolated, 5_000);
  await addVirtualAuthenticator(phone);
  const code = await prepareCash(phone, 10_000);
  const kiosk = await shibuyaKiosk(isolated, await clerk(isolated));
  await typeCode(kiosk, code);
  await expect(kiosk.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible();

  await phone.goto('/customer/approvals');
  const card = phone.getByRole('article', { name: 'Cash withdrawal at an ATM' });
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey added');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(phone.getByRole('alert')).toContainText('Refused: this phone is 5.0 km from Shibuya Station');
  await expect(kiosk.getByRole('alert')).toHaveText('The phone was not near this ATM, so the withdrawal was refused.');

  await expectOnHold(phone, '¥18,110');
  await cancelFromList(phone, code);
  await expectOnHold(phone, '¥8,000');
});

test('declined on the phone: the kiosk says so and goes back to the start by itself', async ({ isolated }) => {
  test.setTimeout(60_000);
  const phone = await phoneOf(isolated);
  const code = await prepareCash(phone, 20_000);
  const kiosk = await shibuyaKiosk(isolated, await clerk(isolated));
  await typeCode(kiosk, code);
  await expect(kiosk.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible();
  await phone.goto('/customer/approvals');
  const card = phone.getByRole('article', { name: 'Cash withdrawal at an ATM' });
  await expect(card).toContainText('If someone on the phone');
  await card.getByRole('button', { name: 'Decline' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Declined.' })).toBeVisible();
  await expect(kiosk.getByRole('alert')).toHaveText('The withdrawal was declined on the phone.');
  await expect(kiosk.getByText(/^Back to start in \d+ s$/)).toBeVisible();
  await lookAt(kiosk, 'kiosk-declined');
  // A kiosk is never left on an ending screen.
  await expect(kiosk.getByLabel('Code from your phone')).toBeVisible({ timeout: 25_000 });
  await cancelFromList(phone, code);
});

test('a code scanned twice works once; the customer sees both scans', async ({ isolated, failures }) => {
  failures.allow(/HTTP 409: POST .*\/api\/kiosk\/scan/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const phone = await phoneOf(isolated);
  const code = await prepareCash(phone, 10_000);
  const staff = await clerk(isolated);
  const first = await shibuyaKiosk(isolated, staff);
  // Another machine: a new kiosk code for Shibuya Station would retire the first kiosk.
  const hikarie = await registerAtm(staff, 'Shibuya Hikarie', 1_000_000);
  const second = await isolated.newPage({ viewport: { width: 1280, height: 800 } });
  await enrollKiosk(second, hikarie.code, 'Shibuya Hikarie');
  await typeCode(first, code);
  await expect(first.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible();
  await typeCode(second, code);
  await expect(second.getByRole('alert')).toHaveText('This code was already used.');
  await phone.goto('/customer/activity');
  await expect(phone.getByText(/Your cash code was scanned at Shibuya Hikarie .*refused/)).toBeVisible();
  await expect(phone.getByText('Shibuya Station ATM asks you to decide')).toBeVisible();
  // The server sends the notice as a code: the page words it in the reader's language.
  await phone.getByRole('combobox', { name: 'Language' }).selectOption('ja');
  await expect(phone.getByText(/Shibuya Hikarie（.*）でお客さまの出金コードが読み取られましたが、お断りしました/)).toBeVisible();
  await expect(phone.getByText('Shibuya Station ATMから判断の依頼：ATMでの現金引き出し')).toBeVisible();
  await phone.screenshot({ path: test.info().outputPath('notice-ja.png') });
});

test.describe('with codes that last four seconds', () => {
  test.use({ serverArgs: ['--cardless-ttl-ms', '4000', '--approval-sweep-ms', '200'] });

  test('an expired code is refused and its reservation released', async ({ isolated, failures }) => {
    failures.allow(/HTTP 409: POST .*\/api\/kiosk\/scan/);
    failures.allow(/console error: Failed to load resource: .* status of 409/);
    const phone = await phoneOf(isolated);
    const code = await prepareCash(phone, 10_000);
    await expect(phone.getByText('This code has expired; the money is free again.')).toBeVisible({ timeout: 10_000 });
    const kiosk = await shibuyaKiosk(isolated, await clerk(isolated));
    await typeCode(kiosk, code);
    await expect(kiosk.getByRole('alert')).toHaveText('This code has expired.');
    await phone.goto('/customer/cash');
    await expect(phone.locator(`li.decided[data-withdrawal="${code.split('-')[0]}"]`)).toContainText('Expired');
    await expectOnHold(phone, '¥8,000');
  });
});

test('an ATM without enough cash refuses, and the code still works at another', async ({ isolated, failures }) => {
  failures.allow(/HTTP 409: POST .*\/api\/kiosk\/scan/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const phone = await phoneOf(isolated);
  const code = await prepareCash(phone, 10_000);
  const staff = await clerk(isolated);
  const tiny = await registerAtm(staff, 'Dogenzaka Mini', 5_000);
  const kiosk = await isolated.newPage({ viewport: { width: 1280, height: 800 } });
  await enrollKiosk(kiosk, tiny.code, 'Dogenzaka Mini');
  await typeCode(kiosk, code);
  await expect(kiosk.getByRole('alert')).toContainText('This ATM does not have enough cash for that amount.');
  await lookAt(kiosk, 'kiosk-short-of-cash');
  await phone.goto('/customer/activity');
  await expect(phone.getByText(/scanned at Dogenzaka Mini .*does not have enough cash/)).toBeVisible();

  const shibuya = await shibuyaKiosk(isolated, staff);
  await typeCode(shibuya, code);
  await expect(shibuya.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible();
});
