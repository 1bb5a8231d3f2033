// Flow F3 end to end, with two people on two phones (each a virtual
// authenticator) and a clerk: a transfer to a friend goes straight
// through; to a stranger the warning must be answered before the passkey;
// to a risky account the recipient's signed message reaches the sender
// live, who then sends, and the money arrives; a mule-like account is held
// and staff release it. On a server of its own, so the demo balances other
// tests read stay as they are.
import { test, expect } from '../support/fixtures';
import type { Page } from '@playwright/test';
import { addVirtualAuthenticator } from '../support/webauthn';
import { demoSignIn } from '../support/session';
import { lookAt } from '../support/screens';

/** Fills the send form and asks for the review. */
async function fillAndCheck(phone: Page, to: string, yen: number, name: string): Promise<void> {
  await phone.goto('/customer/send');
  await phone.getByLabel('Account number or nickname').fill(to);
  await phone.getByLabel('Amount (yen)').fill(String(yen));
  await phone.getByLabel('Name on their account').fill(name);
  await phone.getByRole('button', { name: 'Check and continue' }).click();
}

/** Answers the warning: what the payment is for, and the box. */
async function answer(phone: Page, purpose: string): Promise<void> {
  const confirm = phone.getByRole('button', { name: 'Confirm with passkey' });
  await expect(confirm).toBeDisabled();
  await phone.getByRole('radio', { name: purpose }).check();
  await expect(confirm).toBeDisabled();
  await phone.getByRole('checkbox', { name: 'I have read this warning and want to go on.' }).check();
  await expect(confirm).toBeEnabled();
}

test('friend, stranger, recipient proof and a staff hold, each as the risk decides', async ({ isolated, failures }) => {
  test.setTimeout(120_000);
  // The demo people have no passkey until they set one up, which the first ask says (409).
  failures.allow(/HTTP 409: POST .*\/api\/transfers\/(review|proof\/begin)/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(phone);
  await demoSignIn(phone, 'hanako');

  // A friend: the saved payee, straight through after a passkey set up on the spot.
  await phone.goto('/customer/send');
  await phone.getByRole('button', { name: 'Kenta (running club)' }).click();
  await phone.getByLabel('Amount (yen)').fill('5000');
  await phone.getByLabel('Name on their account').fill('Kenta Watanabe');
  await lookAt(phone, 'send-form');
  await phone.getByRole('button', { name: 'Check and continue' }).click();
  await phone.getByRole('button', { name: 'Set up a passkey on this device' }).click();
  await expect(phone.getByRole('heading', { name: 'Check before you send' })).toBeVisible();
  await expect(phone.getByText('The name matches the account.')).toBeVisible();
  await expect(phone.getByText(/You have sent each other money before: 5 transfers/)).toBeVisible();
  await expect(phone.getByText('This could be a scam.')).toHaveCount(0);
  await lookAt(phone, 'review-friend');
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Sent: ¥5,000 to kenta.' })).toBeVisible();

  // A stranger: a warning to answer before the passkey.
  await fillAndCheck(phone, 'mika', 20000, 'Tanaka Mika');
  await expect(phone.getByText('Close match: the account is in the name of Mika Tanaka.', { exact: false })).toBeVisible();
  await expect(phone.getByText('This could be a scam.')).toBeVisible();
  await expect(phone.getByText('You have never sent money to this account.')).toBeVisible();
  await answer(phone, 'Goods or a service I am buying');
  await lookAt(phone, 'review-stranger');
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Sent: ¥20,000 to mika.' })).toBeVisible();

  // Yui wrote an hour ago asking for money, and her account is new: her proof first.
  await fillAndCheck(phone, 'yui', 30000, 'Yui Kobayashi');
  await expect(phone.getByText('This looks very much like a scam.')).toBeVisible();
  await expect(phone.getByText(/They started talking to you \d+ minutes ago\./)).toBeVisible();
  await expect(phone.getByText(/we will ask yui to confirm who they are first/)).toBeVisible();
  await answer(phone, 'Family or a friend I know in person');
  await lookAt(phone, 'review-proof');
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Waiting for yui to confirm who they are.' })).toBeVisible();
  await phone.getByRole('link', { name: 'See this transfer' }).click();
  await expect(phone.getByText('Waiting for the recipient')).toBeVisible();

  const yui = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(yui);
  await demoSignIn(yui, 'yui');
  await yui.goto('/customer/proofs');
  await expect(yui.getByText('hanako wants to send you ¥30,000 and asks you to confirm who you are.')).toBeVisible();
  await yui.getByLabel('Your message to hanako').fill('It is Yui from Tuesday yoga, we had tea after class.');
  await lookAt(yui, 'proof-request');
  await yui.getByRole('button', { name: 'Sign with passkey and send' }).click();
  // The passkey set up on the spot goes on with the sending.
  await yui.getByRole('button', { name: 'Set up a passkey on this device' }).click();
  await expect(yui.getByText('Sent. hanako decides now.')).toBeVisible();

  // The message reaches Hanako's open page live; she sends, and the money arrives.
  await expect(phone.getByTestId('proof-message')).toHaveText('It is Yui from Tuesday yoga, we had tea after class.');
  await lookAt(phone, 'proof-relayed');
  await phone.getByRole('button', { name: 'Send the money' }).click();
  await expect(phone.getByText('Sent', { exact: true })).toBeVisible();
  await yui.goto('/customer');
  await expect(yui.getByRole('article').first()).toContainText('¥180,000');

  // Eight new senders in a day: held for staff, who release it.
  await fillAndCheck(phone, 'quickcash', 10000, 'Daiki Mori');
  await expect(phone.getByText(/new people paid this account in the last 24 hours/)).toBeVisible();
  await expect(phone.getByText('Our staff will check this transfer before the money moves.', { exact: false })).toBeVisible();
  await answer(phone, 'Goods or a service I am buying');
  await phone.getByRole('button', { name: 'Confirm with passkey' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Held for a check by our staff.' })).toBeVisible();

  const clerk = await isolated.newPage({ viewport: { width: 1280, height: 900 } });
  await demoSignIn(clerk, 'sato');
  await clerk.goto('/staff/transfers');
  await expect(clerk.getByRole('heading', { name: 'hanako → quickcash: ¥10,000' })).toBeVisible();
  await lookAt(clerk, 'staff-held');
  await clerk.getByRole('button', { name: 'Release the transfer' }).click();
  await expect(clerk.getByRole('status').filter({ hasText: 'Done.' })).toBeVisible();
  await expect(clerk.getByText('No transfers are waiting for a review.')).toBeVisible();
  await phone.goto('/customer/send');
  await expect(phone.locator('li.decided').first()).toContainText('quickcash');
  await expect(phone.locator('li.decided').first()).toContainText('Sent');
  await lookAt(phone, 'send-list');
});

test('in Japanese: the warning, the reasons and the question read in Japanese', async ({ isolated, failures }) => {
  failures.allow(/HTTP 409: POST .*\/api\/transfers\/review/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' });
  await addVirtualAuthenticator(phone);
  await demoSignIn(phone, 'hanako');
  await phone.goto('/customer/send');
  await phone.getByLabel('口座番号またはニックネーム').fill('mika');
  await phone.getByLabel('金額（円）').fill('20000');
  await phone.getByLabel('受取人の口座名義').fill('Tanaka Mika');
  await phone.getByRole('button', { name: '確認して次へ' }).click();
  await phone.getByRole('button', { name: 'この端末にパスキーを設定' }).click();
  await expect(phone.getByRole('heading', { name: '送金前の確認' })).toBeVisible();
  await expect(phone.getByText('ほぼ一致：口座名義は「Mika Tanaka」です。', { exact: false })).toBeVisible();
  await expect(phone.getByText('詐欺の可能性があります。')).toBeVisible();
  await expect(phone.getByText('この口座に送金したことはありません。')).toBeVisible();
  await expect(phone.getByRole('group', { name: 'この送金の目的は何ですか？' })).toBeVisible();
  await lookAt(phone, 'review-stranger-ja');
  await phone.getByRole('button', { name: '送金しない' }).click();
  await expect(phone.getByRole('button', { name: '確認して次へ' })).toBeVisible();
});
