// The cardless flow end to end with two devices: the phone prepares a
// withdrawal, the kiosk takes its short code, the phone approves near the
// ATM with a passkey, and the kiosk dispenses and prints a receipt; then
// again with the kiosk's camera reading the QR code the phone shows. On a
// server of its own, so its ATM's cash and Yoko's account are its own.
import { test, expect } from '../support/fixtures';
import { lookAt } from '../support/screens';
import { addVirtualAuthenticator } from '../support/webauthn';
import { north, setLocation, SHIBUYA_STATION } from '../support/geolocation';
import { demoSignIn } from '../support/session';
import { launchWithCamera, videoOfImage } from '../support/camera';
import { enrollKiosk, kioskCode, prepareCash, typeCode } from '../support/kiosk';

test('a code typed at the ATM, then one its camera reads, become cash once the phone approves nearby', async ({ isolated, failures }) => {
  test.setTimeout(90_000);
  // Yoko has no passkey yet: the first approval attempt says so (409), she adds one.
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const page = await isolated.newPage();
  await addVirtualAuthenticator(page);
  await setLocation(page.context(), north(SHIBUYA_STATION, 60));
  await demoSignIn(page, 'yoko');
  await page.goto('/customer/cash');
  await expect(page.getByTestId('cash-terms')).toContainText('Fee ¥110 per withdrawal');
  const shortCode = await prepareCash(page, 10_000);
  await expect(page.getByText('plus a ¥110 fee, reserved with it')).toBeVisible();
  await lookAt(page, 'phone-code');

  // Staff issue a kiosk code for the Shibuya Station ATM; a kiosk browser becomes it.
  const staff = await isolated.newPage();
  await demoSignIn(staff, 'sato');
  const kiosk = await isolated.newPage({ viewport: { width: 1280, height: 800 } });
  await enrollKiosk(kiosk, await kioskCode(staff, 1), 'Shibuya Station');

  await typeCode(kiosk, shortCode);
  await expect(kiosk.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible();
  await expect(kiosk.getByText(/^Time left [0-2]:\d\d$/)).toBeVisible();
  await lookAt(kiosk, 'kiosk-confirm-on-phone');

  await page.goto('/customer/approvals');
  const card = page.getByRole('article', { name: 'Cash withdrawal at an ATM' });
  await expect(card).toContainText('Shibuya Station ATM');
  await expect(card).toContainText('¥10,000');
  await expect(card).toContainText('Fee¥110');
  await lookAt(page, 'phone-approval-card');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey added');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved.' })).toBeVisible();

  await expect(kiosk.getByRole('heading', { name: 'Please take your cash' })).toBeVisible();
  await expect(kiosk.getByText('¥10,000 is being dispensed.')).toBeVisible();
  await lookAt(kiosk, 'kiosk-dispensing');
  await kiosk.getByRole('button', { name: 'I have taken my cash' }).click();
  const receipt = kiosk.getByRole('definition').locator('..');
  await expect(kiosk.getByRole('heading', { name: 'Receipt' })).toBeVisible();
  await expect(receipt.filter({ hasText: 'Fee' })).toContainText('¥110');
  await expect(receipt.filter({ hasText: 'Taken from your account' })).toContainText('¥10,110');
  await expect(receipt.filter({ hasText: 'ATM' })).toContainText('Shibuya Station');
  await expect(kiosk.getByText(/^Back to start in \d+ s$/)).toBeVisible();
  await lookAt(kiosk, 'kiosk-receipt');
  await kiosk.getByRole('button', { name: 'Done — back to start' }).click();
  await expect(kiosk.getByLabel('Code from your phone')).toBeVisible();

  // The phone and the ledger show the withdrawal: the cash and its fee left the account.
  const id = shortCode.split('-')[0];
  await page.goto('/customer/cash');
  await expect(page.locator(`li.decided[data-withdrawal="${id}"]`)).toContainText('Cash taken');
  await page.goto('/customer');
  await page.getByRole('link', { name: 'Ordinary account' }).click();
  const lines = page.getByRole('list').filter({ has: page.locator('.statement-line') }).getByRole('listitem');
  await expect(lines.filter({ hasText: '-¥10,110' })).toContainText(['Cardless withdrawal']);

  // Again, with the kiosk's camera filming the QR code the phone shows.
  await prepareCash(page, 10_000);
  const qr = test.info().outputPath('phone-qr.png');
  await page.getByRole('img', { name: 'QR code for this withdrawal' }).screenshot({ path: qr });
  const cameraBrowser = await launchWithCamera(videoOfImage(qr));
  const camKiosk = await isolated.newPage({ browser: cameraBrowser, viewport: { width: 1280, height: 800 } });
  await camKiosk.context().grantPermissions(['camera'], { origin: isolated.origin });
  await enrollKiosk(camKiosk, await kioskCode(staff, 1));
  await expect(camKiosk.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible({ timeout: 15_000 });

  await page.goto('/customer/approvals');
  await page.getByRole('article', { name: 'Cash withdrawal at an ATM' }).getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved.' })).toBeVisible();
  await expect(camKiosk.getByText('¥10,000 is being dispensed.')).toBeVisible();
  await cameraBrowser.close();
});
