// Cardless cash, on the phone: the amount is reserved at once and a QR code
// and short code appear with a countdown; cancelling releases the money.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

test('prepare a cardless withdrawal, see its codes, and cancel it', async ({ page, failures }) => {
  failures.allow(/HTTP 422: POST .*\/api\/cardless\/prepare/);
  failures.allow(/console error: Failed to load resource: .* status of 422/);
  // Yoko, whose balance no other test reads (she lands on the guardian view).
  await demoSignIn(page, 'yoko');
  await page.goto('/customer');
  await page.getByRole('link', { name: 'Cash' }).click();
  await expect(page).toHaveURL('/customer/cash');
  await page.getByLabel('Amount (yen, whole thousands)').fill('1500');
  await page.getByRole('button', { name: 'Prepare the code' }).click();
  await expect(page.getByRole('alert')).toHaveText('Withdrawals are in whole thousands of yen, for example 20,000.');

  await page.getByRole('button', { name: '¥20,000' }).click();
  await page.getByRole('button', { name: 'Prepare the code' }).click();
  await expect(page.getByRole('heading', { name: 'Show this to the ATM' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'QR code for this withdrawal' }).locator('svg')).toBeVisible();
  await expect(page.getByTestId('short-code')).toHaveText(/^\d+-\d{6}$/);
  const id = (await page.getByTestId('short-code').textContent())!.split('-')[0];
  const mine = page.locator(`li.decided[data-withdrawal="${id}"]`);
  await expect(page.getByText(/^Code expires in (10:00|9:[0-5]\d)$/)).toBeVisible();
  await expect(mine).toContainText('Waiting for an ATM');

  await page.getByRole('button', { name: 'Cancel and release the money' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled. The money is free again.' })).toBeVisible();
  await expect(mine).toContainText('Cancelled');
});
