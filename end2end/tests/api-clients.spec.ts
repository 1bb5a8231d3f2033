// The machine API's clients end to end: a clerk registers a remittance
// system and sees its key once; the key, used from outside the browser,
// gets the guardianship answer for the demo's Yoko and Taro; a new key is
// issued beside it; revoking the client ends both keys. In Japanese, the
// page reads in Japanese. On a server of its own, so no other test meets
// these clients.
import { test, expect } from '../support/fixtures';
import type { APIRequestContext, Page } from '@playwright/test';
import { request as http } from '@playwright/test';
import { demoSignIn } from '../support/session';
import { addVirtualAuthenticator } from '../support/webauthn';
import { lookAt } from '../support/screens';

async function ask(api: APIRequestContext, key: string, guardian: string, minor: string) {
  return api.get(`/v1/relationships/guardianship?guardian=${guardian}&minor=${minor}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
}

test('a clerk registers a client, its key answers the guardianship check, rotation and revocation', async ({
  isolated,
  failures,
}) => {
  // Hanako has no passkey until she sets one up, which the first review says (409).
  failures.allow(/HTTP 409: POST .*\/api\/transfers\/review/);
  failures.allow(/console error: Failed to load resource: .* status of (409|401)/);
  failures.allow(/HTTP 401: GET .*\/v1\//);
  const clerk = await isolated.newPage({ viewport: { width: 1280, height: 900 } });
  await demoSignIn(clerk, 'sato');
  await clerk.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'API clients' }).click();
  // In demo mode the demo shop is the one client there is.
  await expect(clerk.getByRole('heading', { name: 'Anshin Demo Shop' })).toBeVisible();
  await clerk.getByLabel('Name').fill('Family Remit Co.');
  await clerk.getByLabel('Kind').selectOption({ label: 'Remittance system' });
  await expect(clerk.getByRole('checkbox', { name: 'Check whether someone is a minor’s verified guardian' })).toBeChecked();
  await clerk.getByRole('button', { name: 'Register and issue a key' }).click();
  await expect(clerk.getByRole('heading', { name: 'Key for Family Remit Co.' })).toBeVisible();
  const key = (await clerk.getByLabel('API key').textContent()) ?? '';
  expect(key).toMatch(/^ak_[0-9a-f]{12}_/);
  const item = clerk.getByRole('listitem').filter({ has: clerk.getByRole('heading', { name: 'Family Remit Co.' }) });
  await expect(item).toContainText('Remittance system');
  await expect(item).toContainText('not used yet');
  await lookAt(clerk, 'staff-api-clients');

  // From outside the browser, as the remittance system would.
  const api = await http.newContext({ baseURL: isolated.origin });
  // Yoko's and Taro's account numbers, as Hanako's send review shows them.
  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(phone);
  await demoSignIn(phone, 'hanako');
  const accountOf = async (nickname: string, first: boolean) => {
    await phone.goto('/customer/send');
    await phone.getByLabel('Account number or nickname').fill(nickname);
    await phone.getByLabel('Amount (yen)').fill('1000');
    await phone.getByRole('button', { name: 'Check and continue' }).click();
    if (first) await phone.getByRole('button', { name: 'Set up a passkey on this device' }).click();
    const line = phone.getByText(new RegExp(`To ${nickname}, account \\d{7}`));
    await expect(line).toBeVisible();
    return /(\d{7})/.exec((await line.textContent()) ?? '')?.[1] ?? '';
  };
  const g = await accountOf('yoko', true);
  const m = await accountOf('taro', false);
  expect(g).toMatch(/^\d{7}$/);
  let answer = await ask(api, key, g, m);
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toMatchObject({ verified: true });
  answer = await ask(api, key, m, g);
  expect(await answer.json()).toEqual({ verified: false });

  await item.getByRole('button', { name: 'Issue a new key' }).click();
  const second = clerk.getByLabel('API key');
  await expect(second).not.toHaveText(key);
  const newKey = (await second.textContent()) ?? '';
  expect((await ask(api, newKey, g, m)).status()).toBe(200);
  expect((await ask(api, key, g, m)).status()).toBe(200);
  await expect(item).toContainText('works until');

  // Asked twice: keeping it changes nothing.
  await item.getByRole('button', { name: 'Revoke the client' }).click();
  await expect(item.getByRole('alert')).toContainText('cannot be undone');
  await item.getByRole('button', { name: 'Keep it' }).click();
  expect((await ask(api, newKey, g, m)).status()).toBe(200);
  await item.getByRole('button', { name: 'Revoke the client' }).click();
  await item.getByRole('button', { name: 'Yes, revoke it' }).click();
  await expect(item).toContainText('Revoked');
  await expect(item.getByRole('button', { name: 'Issue a new key' })).toHaveCount(0);
  for (const k of [key, newKey]) {
    const refused = await ask(api, k, g, m);
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toEqual({ code: 'unauthenticated' });
  }
  await api.dispose();
});

test('in Japanese: the API clients page reads in Japanese', async ({ isolated }) => {
  const clerk = await isolated.newPage({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
  await demoSignIn(clerk, 'sato');
  await clerk.goto('/staff/api-clients');
  await expect(clerk.getByRole('heading', { name: 'APIクライアントを登録' })).toBeVisible();
  await clerk.getByLabel('名前').fill('こども送金');
  await clerk.getByLabel('種類').selectOption({ label: '送金システム' });
  await clerk.getByRole('button', { name: '登録してキーを発行' }).click();
  await expect(clerk.getByRole('heading', { name: 'こども送金のキー' })).toBeVisible();
  await expect(clerk.getByRole('heading', { name: 'こども送金', exact: true })).toBeVisible();
  await expect(clerk.getByText('未使用')).toBeVisible();
  await lookAt(clerk, 'staff-api-clients-in-japanese');
});
