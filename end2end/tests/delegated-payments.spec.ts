// Flow F5 end to end: a shop clerk's terminal (an API client staff
// registered, in a browser) asks "hanako" for ¥1,200; her phone shows who
// asked, where and how far, the code on the terminal and a countdown; she
// approves with a passkey and the terminal takes the payment. Then a
// decline, a request left to expire, and an AI agent's request through the
// MCP server (driven by the official npm MCP client over stdio and over
// streamable HTTP), approved on the phone and paid to a merchant.
import { test, expect } from '../support/fixtures';
import type { Page } from '@playwright/test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { addVirtualAuthenticator } from '../support/webauthn';
import { demoSignIn } from '../support/session';
import { lookAt } from '../support/screens';
import { north, setLocation, SHIBUYA_STATION } from '../support/geolocation';
import { BIN } from '../support/server';

/** Sato registers an API client of `kind`; answers its key and id. */
async function register(clerk: Page, name: string, kind: string): Promise<{ key: string; id: number }> {
  await clerk.goto('/staff/api-clients');
  await clerk.getByLabel('Name').fill(name);
  await clerk.getByLabel('Kind').selectOption({ label: kind });
  await clerk.getByRole('button', { name: 'Register and issue a key' }).click();
  await expect(clerk.getByRole('heading', { name: `Key for ${name}` })).toBeVisible();
  const key = (await clerk.getByLabel('API key').textContent()) ?? '';
  const item = clerk.getByRole('listitem').filter({ has: clerk.getByRole('heading', { name }) });
  const id = Number((await item.textContent())?.match(/Client id (\d+)/)?.[1]);
  expect(key).toMatch(/^ak_/);
  return { key, id };
}

/** The terminal asks for `yen`; answers the code it shows. */
async function ask(terminal: Page, nickname: string, yen: string, what: string): Promise<string> {
  await terminal.getByLabel('Customer’s nickname').fill(nickname);
  await terminal.getByLabel('Amount (yen)').fill(yen);
  await terminal.getByLabel('What it is for').fill(what);
  await terminal.getByRole('button', { name: 'Ask the customer to approve' }).click();
  await expect(terminal.getByRole('heading', { name: 'Waiting for the customer' })).toBeVisible();
  const code = (await terminal.getByLabel('Code to compare').textContent()) ?? '';
  expect(code).toMatch(/^[A-Z]{2}-\d{2}$/);
  return code;
}

test('a shop terminal asks hanako by nickname; she approves with a passkey and the shop is paid; a decline; an expiry', async ({
  isolated,
  failures,
}) => {
  test.setTimeout(180_000);
  // Hanako has no passkey until she adds one, which the first approval says (409).
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of (409|400)/);
  // The terminal's polls answer 400 authorization_pending (CIBA) until she decides.
  failures.allow(/HTTP 400: (GET|POST) .*\/v1\/payment-requests/);
  const clerk = await isolated.newPage({ viewport: { width: 1280, height: 900 } });
  await demoSignIn(clerk, 'sato');
  const shop = await register(clerk, 'Sakura Mart Shibuya', 'Shop terminal');

  const terminal = await isolated.newPage({ viewport: { width: 1280, height: 800 } });
  await setLocation(terminal.context(), SHIBUYA_STATION);
  await terminal.goto('/shop');
  await expect(terminal.getByRole('heading', { name: 'Set up this terminal' })).toBeVisible();
  await terminal.getByLabel('Terminal key').fill(shop.key);
  await terminal.getByLabel('Shop name and place').fill('Sakura Mart, Shibuya Station');
  await terminal.getByLabel('Time for the customer to decide').selectOption('30');
  await terminal.getByRole('button', { name: 'Use this device’s location' }).click();
  await expect(terminal.getByText('This terminal’s location is set.')).toBeVisible();
  await lookAt(terminal, 'shop-setup');
  await terminal.getByRole('button', { name: 'Save and start' }).click();
  await expect(terminal.getByRole('heading', { name: 'New payment' })).toBeVisible();

  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(phone);
  await setLocation(phone.context(), north(SHIBUYA_STATION, 150));
  await demoSignIn(phone, 'hanako');
  await phone.goto('/customer/approvals');

  const code = await ask(terminal, 'Hanako', '1200', 'Lunch set');
  await expect(terminal.getByRole('timer')).toContainText(/Time left 0:[0-3]\d/);
  await lookAt(terminal, 'shop-waiting');

  // Her phone shows who, what, where, the same code and a countdown.
  const card = phone.getByRole('article', { name: 'Payment requested for you' });
  await expect(card).toContainText('¥1,200');
  await expect(card).toContainText('Sakura Mart Shibuya');
  await expect(card).toContainText('Shop terminal · registered with the bank');
  await expect(card).toContainText(code);
  await expect(card).toContainText('Sakura Mart, Shibuya Station');
  await expect(card).toContainText('You have never approved a request from them before.');
  await expect(card).toContainText('Lunch set');
  await expect(card).toContainText(/Time left 0:[0-3]\d/);
  await card.getByRole('button', { name: 'How far is this from me?' }).click();
  await expect(card).toContainText('About 150 m from you.');
  await lookAt(phone, 'delegated-card');

  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(card.getByText('Passkey added. You can approve now.')).toBeVisible();
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(phone.getByText('Approved.')).toBeVisible();

  await expect(terminal.getByRole('heading', { name: 'Paid' })).toBeVisible({ timeout: 15_000 });
  await expect(terminal.getByRole('status')).toContainText('¥1,200 from Hanako is in the shop’s account.');
  await lookAt(terminal, 'shop-paid');

  // Declined on the phone: the terminal says so and nothing is paid.
  await terminal.getByRole('button', { name: 'Next customer' }).click();
  await ask(terminal, 'hanako', '800', 'Bento');
  const second = phone.getByRole('article', { name: 'Payment requested for you' });
  await expect(second).toContainText('¥800');
  await expect(second).not.toContainText('never approved');
  await second.getByRole('button', { name: 'Decline' }).click();
  await expect(phone.getByText('Declined. Nothing will happen.')).toBeVisible();
  await expect(terminal.getByRole('alert')).toContainText('The customer declined. Nothing was paid.', { timeout: 15_000 });
  await lookAt(terminal, 'shop-declined');

  // Left alone: it expires on both sides.
  await terminal.getByRole('button', { name: 'Back to the payment' }).click();
  await terminal.getByRole('button', { name: 'Ask the customer to approve' }).click();
  const third = phone.getByRole('article', { name: 'Payment requested for you' });
  await expect(third).toContainText('¥800');
  await expect(terminal.getByRole('alert')).toContainText('The customer did not answer in time.', { timeout: 45_000 });
  await expect(third).toHaveCount(0);

  // An unknown nickname is told plainly.
  await terminal.getByRole('button', { name: 'Back to the payment' }).click();
  await terminal.getByLabel('Customer’s nickname').fill('nobody-here');
  await terminal.getByRole('button', { name: 'Ask the customer to approve' }).click();
  await expect(terminal.getByRole('alert')).toContainText('No customer can be asked by this nickname.');

  // Her settings list the shop, what it was paid today, and no live token.
  await phone.goto('/customer/delegation');
  const requester = phone.getByRole('listitem').filter({ hasText: 'Sakura Mart Shibuya' });
  await expect(requester).toContainText('Paid today ¥1,200');
  await expect(phone.getByText('Nothing approved is waiting to be paid.')).toBeVisible();
  await lookAt(phone, 'delegation-settings');
});

test('an AI agent asks through the MCP server (stdio and streamable HTTP); hanako approves and the merchant is paid', async ({
  isolated,
  failures,
}) => {
  test.setTimeout(120_000);
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const clerk = await isolated.newPage({ viewport: { width: 1280, height: 900 } });
  await demoSignIn(clerk, 'sato');
  const agent = await register(clerk, 'Travel Helper AI', 'AI agent');
  const ramen = await register(clerk, 'Ramen Ichiban', 'Merchant');
  await lookAt(clerk, 'staff-api-clients-f5');

  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(phone);
  await demoSignIn(phone, 'hanako');
  await phone.goto('/customer/approvals');

  // Over stdio: `anshin mcp`, as an assistant would start it.
  const stdio = new Client({ name: 'anshin-e2e', version: '1.0.0' });
  await stdio.connect(
    new StdioClientTransport({
      command: BIN,
      args: ['mcp'],
      env: { ANSHIN_URL: isolated.origin, ANSHIN_API_KEY: agent.key, RUST_LOG: 'warn' },
      stderr: 'inherit',
    }),
  );
  const { tools } = await stdio.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['cancel_payment_request', 'check_payment_request', 'request_payment']);
  const asked = await stdio.callTool({
    name: 'request_payment',
    arguments: { nickname: 'hanako', amount_yen: 3000, description: 'Dinner for two', payee: ramen.id, binding_message: 'TR-77' },
  });
  expect(asked.isError ?? false).toBe(false);
  const request = JSON.parse((asked.content as Array<{ text: string }>)[0].text);
  expect(request.binding_message).toBe('TR-77');
  const pending = await stdio.callTool({ name: 'check_payment_request', arguments: { auth_req_id: request.auth_req_id } });
  expect(JSON.parse((pending.content as Array<{ text: string }>)[0].text).status).toBe('pending');

  const card = phone.getByRole('article', { name: 'Payment requested for you' });
  await expect(card).toContainText('AI agent · registered with the bank');
  await expect(card).toContainText('Travel Helper AI');
  await expect(card).toContainText('Ramen Ichiban');
  await expect(card).toContainText('TR-77');
  await expect(card).toContainText('¥3,000');
  await lookAt(phone, 'delegated-card-agent');

  // Over streamable HTTP at /mcp, with the agent's key: waits for her decision.
  const http = new Client({ name: 'anshin-e2e-http', version: '1.0.0' });
  await http.connect(
    new StreamableHTTPClientTransport(new URL(`${isolated.origin}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${agent.key}` } },
    }),
  );
  const waiting = http.callTool({ name: 'check_payment_request', arguments: { auth_req_id: request.auth_req_id, wait_s: 50 } });
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey added. You can approve now.');
  await card.getByRole('button', { name: 'Approve with passkey' }).click();
  await expect(phone.getByText('Approved.')).toBeVisible();
  const approved = JSON.parse(((await waiting).content as Array<{ text: string }>)[0].text);
  expect(approved.status).toBe('approved');
  expect(approved.payee).toBe(ramen.id);
  expect(approved.payment_token).toMatch(/^pt_/);

  // The merchant redeems the token the agent handed it.
  const paid = await fetch(`${isolated.origin}/v1/payments`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ramen.key}`, 'Idempotency-Key': 'dinner-1', 'Content-Type': 'application/json' },
    body: JSON.stringify({ payment_token: approved.payment_token, amount: 3000, currency: 'JPY', reference: 'table-4' }),
  });
  expect(paid.status).toBe(201);
  const after = JSON.parse(((await stdio.callTool({ name: 'check_payment_request', arguments: { auth_req_id: request.auth_req_id } })).content as Array<{ text: string }>)[0].text);
  expect(after.status).toBe('paid');
  expect(after.payment.amount).toBe(3000);

  // Without an agent's key /mcp refuses before any MCP message.
  const refused = await fetch(`${isolated.origin}/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ramen.key}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: '{}',
  });
  expect(refused.status).toBe(403);
  await stdio.close();
  await http.close();
});
