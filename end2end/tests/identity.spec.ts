// Identity checks and relationships (F4) end to end: a new minor submits
// their identity check with a photo of a document, Yoko invites them with
// a family register extract, the minor accepts on their phone, and Sato
// approves the check and then verifies the relationship from his queue,
// after which the minor is in Yoko's care. Every screen is looked at in
// English and Japanese.
import { test, expect } from '../support/fixtures';
import type { Page } from '@playwright/test';
import { addVirtualAuthenticator } from '../support/webauthn';
import { demoSignIn } from '../support/session';
import { lookAt } from '../support/screens';

/** A photo of a card, as a phone would take it: drawn in a page of its own and captured. */
async function photo(from: Page, title: string): Promise<Buffer> {
  const studio = await from.context().newPage();
  await studio.setContent(
    `<div id="card" style="width:640px;height:400px;background:#dbe7f3;border:6px solid #2a4d7a;
      border-radius:24px;font:28px sans-serif;padding:32px;box-sizing:border-box">
      <b>${title}</b><p>Suzuki Jiro · 2012-05-05</p><p>Tokyo</p></div>`,
  );
  const png = await studio.locator('#card').screenshot();
  await studio.close();
  return png;
}

test('a minor’s check and a guardian’s invitation, accepted and verified by staff', async ({ isolated, failures }) => {
  test.setTimeout(120_000);
  // Refusals the test asks for: an unknown nickname, a verdict with no reason.
  failures.allow(/HTTP 422: POST .*\/api\/(upload\/invite-ward|staff\/review-check)/);
  failures.allow(/console error: Failed to load resource: .* status of 422/);
  const kid = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(kid);
  const nickname = `jiro${Date.now() % 1_000_000}`;
  await kid.goto('/signin');
  await kid.getByLabel('Your name').fill('Jiro Suzuki');
  await kid.getByLabel('Public nickname').fill(nickname);
  await kid.getByLabel('Date of birth').fill('2012-05-05');
  await kid.getByRole('button', { name: 'Create my account with a passkey' }).click();
  await expect(kid).toHaveURL('/customer');

  // From the accounts page to the identity page, and an upload that is not an image.
  await kid.getByRole('link', { name: 'Identity check and guardians' }).click();
  await expect(kid.getByRole('heading', { name: 'My identity check' })).toBeVisible();
  await expect(kid.getByRole('heading', { name: 'No guardian linked' })).toBeVisible();
  const form = kid.getByRole('region', { name: 'My identity check' });
  await form.getByLabel('Photo of your identity document').setInputFiles({
    name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo'),
  });
  await expect(form.getByRole('alert')).toHaveText('Choose a JPEG, PNG or WebP image.');
  await form.getByLabel('Full name (as on the document)').fill('Suzuki Jiro');
  await form.getByLabel('Date of birth').fill('2012-05-05');
  await form.getByLabel('Address').fill('1-2-3 Jingumae, Shibuya, Tokyo');
  await form.getByLabel('Photo of your identity document').setInputFiles({
    name: 'card.png', mimeType: 'image/png', buffer: await photo(kid, 'My Number card'),
  });
  await expect(form.getByRole('img', { name: 'Preview of the chosen image' })).toBeVisible();
  await lookAt(kid, 'identity-form');
  await form.getByRole('button', { name: 'Submit for review' }).click();
  await expect(kid.getByText('Waiting for review')).toBeVisible();
  await expect(form.getByRole('button', { name: 'Submit for review' })).toHaveCount(0);

  // Yoko invites the minor, with the relationship's document.
  const yoko = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await demoSignIn(yoko, 'yoko');
  await yoko.getByRole('link', { name: 'Family' }).click();
  await expect(yoko.getByRole('heading', { name: 'My identity check' })).toBeVisible();
  await expect(yoko.getByText('Approved', { exact: true })).toBeVisible();
  const invite = yoko.getByRole('region', { name: 'Link a minor in my care' });
  await invite.getByLabel("Minor's nickname").fill('no_such_kid');
  await invite.getByLabel('Photo of the document that proves the relationship').setInputFiles({
    name: 'koseki.png', mimeType: 'image/png', buffer: await photo(yoko, 'Family register extract'),
  });
  await invite.getByRole('button', { name: 'Send invitation' }).click();
  await expect(invite.getByText('No one has this nickname.')).toBeVisible();
  await invite.getByLabel("Minor's nickname").fill(nickname);
  await invite.getByRole('button', { name: 'Send invitation' }).click();
  await expect(invite.getByText('Invitation sent.', { exact: false })).toBeVisible();
  const mine = yoko.getByRole('region', { name: 'My links' });
  await expect(mine.getByRole('listitem', { name: /Jiro Suzuki/ }).getByText('Invited', { exact: true })).toBeVisible();
  await lookAt(yoko, 'guardian-family');

  // The invitation reaches the minor's open page; they accept.
  const card = kid.getByRole('listitem', { name: /Yoko Suzuki/ });
  await expect(card.getByText('Invited', { exact: true })).toBeVisible();
  await lookAt(kid, 'identity-invited');
  await card.getByRole('button', { name: 'Accept' }).click();
  await expect(card.getByText('Accepted, waiting for the bank')).toBeVisible();

  // Sato reviews: the check first, then the relationship it now allows.
  const sato = await isolated.newPage();
  await demoSignIn(sato, 'sato');
  await sato.getByRole('link', { name: 'ID checks' }).click();
  const check = sato.getByRole('listitem', { name: new RegExp(`Jiro Suzuki \\(${nickname}\\)`) });
  await expect(check.getByRole('img', { name: /Document of Jiro Suzuki/ })).toBeVisible();
  // Decoded, not merely in the page: the server sent a real image (it may still be loading).
  await expect
    .poll(() => check.getByRole('img').evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(200);
  const link = sato.getByRole('listitem', { name: /Yoko Suzuki → Jiro Suzuki/ });
  await expect(link.getByRole('button', { name: 'Verify relationship' })).toBeDisabled();
  await lookAt(sato, 'staff-reviews');
  await check.getByRole('button', { name: 'Ask for a new document' }).click();
  await expect(check.getByText('Choose a reason first.')).toBeVisible();
  await check.getByRole('button', { name: 'Approve' }).click();
  await expect(sato.getByRole('heading', { name: 'Nothing waiting' })).toBeVisible();
  await expect(link.getByRole('button', { name: 'Verify relationship' })).toBeEnabled();
  await link.getByRole('button', { name: 'Verify relationship' }).click();
  await expect(sato.getByRole('heading', { name: 'Nothing waiting' })).toHaveCount(2);
  await lookAt(sato, 'staff-reviews-empty');

  // Both sides see it verified, live; Jiro is now in Yoko's care.
  await expect(kid.getByText('Approved', { exact: true })).toBeVisible();
  await expect(card.getByText('Verified', { exact: true })).toBeVisible();
  await lookAt(kid, 'identity-verified');
  await expect(mine.getByRole('listitem', { name: /Jiro Suzuki/ }).getByText('Verified', { exact: true })).toBeVisible();
  await yoko.getByRole('link', { name: 'People in my care' }).click();
  await expect(yoko.getByRole('heading', { name: /Jiro Suzuki/ })).toBeVisible();

  // The relationship now lets Yoko send Jiro an allowance, which reaches his account.
  const jiro = yoko.getByRole('listitem', { name: /Jiro Suzuki/ });
  await jiro.getByLabel('Amount (yen)').fill('1500');
  await jiro.getByRole('button', { name: 'Send allowance' }).click();
  await expect(jiro.getByText('Sent: ¥1,500')).toBeVisible();
  await lookAt(yoko, 'guardian-allowance');
  await kid.goto('/customer');
  await expect(kid.getByRole('article').first()).toContainText('¥1,500');
});
