// The cardless flow end to end with two devices: the phone prepares a
// withdrawal, the kiosk takes its short code, the phone approves near the
// ATM with a passkey, and the kiosk dispenses.
import { test, expect } from '../support/fixtures';
import { addVirtualAuthenticator } from '../support/webauthn';
import { north, setLocation, SHIBUYA_STATION } from '../support/geolocation';
import { demoSignIn } from '../support/session';
import { launchWithCamera, videoOfImage } from '../support/camera';

test('a code typed at the ATM, then one its camera reads, become cash once the phone approves nearby', async ({ page, browser, failures }) => {
  test.setTimeout(90_000);
  // Yoko has no passkey yet: the first approval attempt says so (409), she adds one.
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  await addVirtualAuthenticator(page);
  await setLocation(page.context(), north(SHIBUYA_STATION, 60));
  await demoSignIn(page, 'yoko');
  await page.goto('/customer/cash');
  await page.getByRole('button', { name: '¥10,000' }).click();
  await page.getByRole('button', { name: 'Prepare the code' }).click();
  const shortCode = (await page.getByTestId('short-code').textContent())!.trim();

  // Staff issue a kiosk code for the Shibuya Station ATM; a kiosk browser becomes it.
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await demoSignIn(staff, 'sato');
  const origin = new URL(staff.url()).origin;
  const enrollment = await (await staff.request.post('/api/atms/reissue', { headers: { origin }, form: { id: '1' } })).json();
  await staffContext.close();
  const kioskContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const kiosk = await kioskContext.newPage();
  await kiosk.goto('/atm');
  await kiosk.getByLabel('Enrollment code').fill(enrollment.code);
  await kiosk.getByRole('button', { name: 'Make this screen the ATM' }).click();
  await expect(kiosk.getByText('This screen is Shibuya Station.')).toBeVisible();

  await kiosk.getByLabel('Code from your phone').fill(shortCode);
  await kiosk.getByRole('button', { name: 'Continue' }).click();
  await expect(kiosk.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible();
  await expect(kiosk.getByText(/^Time left [0-2]:\d\d$/)).toBeVisible();

  await page.goto('/customer/approvals');
  const card = page.getByRole('article', { name: 'Cash withdrawal at an ATM' });
  await expect(card).toContainText('Shibuya Station ATM');
  await expect(card).toContainText('¥10,000');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey added');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved.' })).toBeVisible();

  await expect(kiosk.getByRole('heading', { name: 'Please take your cash' })).toBeVisible();
  await expect(kiosk.getByText('¥10,000 is being dispensed.')).toBeVisible();
  await kiosk.screenshot({ path: test.info().outputPath('kiosk-dispensing.png') });
  await kiosk.getByRole('button', { name: 'Done — back to start' }).click();
  await expect(kiosk.getByLabel('Code from your phone')).toBeVisible();
  await kioskContext.close();

  // The short code starts with the withdrawal's number.
  const id = shortCode.split('-')[0];
  await page.goto('/customer/cash');
  await expect(page.locator(`li.decided[data-withdrawal="${id}"]`)).toContainText('Cash taken');

  // Again, with the kiosk's camera filming the QR code the phone shows.
  await page.getByRole('button', { name: '¥10,000' }).click();
  await page.getByRole('button', { name: 'Prepare the code' }).click();
  const qr = test.info().outputPath('phone-qr.png');
  await page.getByRole('img', { name: 'QR code for this withdrawal' }).screenshot({ path: qr });
  const cameraBrowser = await launchWithCamera(videoOfImage(qr));
  const cameraContext = await cameraBrowser.newContext({ baseURL: origin, viewport: { width: 1280, height: 800 } });
  await cameraContext.grantPermissions(['camera'], { origin });
  const camKiosk = await cameraContext.newPage();
  const staff2Context = await browser.newContext();
  const staff2 = await staff2Context.newPage();
  await demoSignIn(staff2, 'sato');
  const again = await (await staff2.request.post('/api/atms/reissue', { headers: { origin }, form: { id: '1' } })).json();
  await staff2Context.close();
  await camKiosk.goto('/atm');
  await camKiosk.getByLabel('Enrollment code').fill(again.code);
  await camKiosk.getByRole('button', { name: 'Make this screen the ATM' }).click();
  await expect(camKiosk.getByRole('heading', { name: 'Confirm on your phone' })).toBeVisible({ timeout: 15_000 });

  await page.goto('/customer/approvals');
  await page.getByRole('article', { name: 'Cash withdrawal at an ATM' }).getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Approved.' })).toBeVisible();
  await expect(camKiosk.getByText('¥10,000 is being dispensed.')).toBeVisible();
  await cameraBrowser.close();
});
