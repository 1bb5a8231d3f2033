// Staff mark an adult customer as a ward of restricted capacity, and clear it.
import { test, expect } from '../support/fixtures';
import { addVirtualAuthenticator } from '../support/webauthn';
import { demoSignIn, signUp } from '../support/session';

test('staff mark an adult as a ward and clear the mark', async ({ page, browser }) => {
  const customerContext = await browser.newContext();
  const customer = await customerContext.newPage();
  await addVirtualAuthenticator(customer);
  const nickname = await signUp(customer, 'Ward Person');
  await customerContext.close();

  await demoSignIn(page, 'sato');
  await page.goto('/staff/people');
  await page.getByLabel("Customer's nickname").fill(nickname);
  await page.getByRole('button', { name: 'Mark as ward' }).click();
  await expect(page.getByRole('status')).toContainText('Ward Person is now marked as a ward.');
  await page.getByRole('button', { name: 'Clear the mark' }).click();
  await expect(page.getByRole('status')).toContainText('Ward Person is no longer marked as a ward.');
});
