// Payments asked for by nickname (F5), measured through the real machine API
// and Hanako's real phone page (Chromium, virtual passkey):
//
// 1. Request → card: from the moment a shop terminal sends
//    `POST /v1/payment-requests` naming "hanako" (Node's wall clock) to a
//    MutationObserver on her open approvals page seeing the new card, RUNS
//    times, while OTHERS other signed-in live channels are open (opened from
//    Node, as people other than Hanako). Each card is then declined.
// 2. Approval → token redeemed → money in the shop's account: Hanako
//    approves each of RUNS requests with her passkey on the page; from the
//    moment her browser sends the approval (`approve/finish`) to the shop's
//    `POST /v1/payments` answering 201 (the payment committed to the shop's
//    settlement account). The terminal learns of the decision by CIBA's
//    ping (a signed webhook to its loopback receiver), then fetches the
//    token and redeems it.
//
// Server, browser and terminal share this machine's clock.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect } from '../support/fixtures';
import { addVirtualAuthenticator } from '../support/webauthn';
import { demoSignIn } from '../support/session';
import { openOthers, percentile, sessionOf } from '../support/bench';

const RUNS = Number(process.env.RUNS ?? 200);
const PAID_RUNS = Number(process.env.PAID_RUNS ?? 100);
const OTHERS = Number(process.env.OTHERS ?? 1000);

const database = process.env.BENCH_DATABASE_URL ? ['--database-url', process.env.BENCH_DATABASE_URL] : [];
test.use({
  serverArgs: [
    '--api-per-minute', '100000000', '--sign-in-per-minute', '1000000', '--decisions-per-minute', '1000000',
    '--requests-per-nickname', '1000000', '--requests-per-requester', '1000000', ...database,
  ],
});

declare global {
  interface Window {
    shownAt: Record<string, number>;
  }
}

const f = (ms: number) => ms.toFixed(1);

/** The demo clerk registers a shop terminal that may also set a webhook endpoint; answers its key. */
async function terminal(base: string): Promise<string> {
  const clerk = await sessionOf(base, 'sato');
  const res = await fetch(`${base}/api/staff/api-clients/register`, {
    method: 'POST',
    headers: { origin: base, cookie: clerk, 'content-type': 'application/json' },
    body: JSON.stringify({
      new: { name: `Bench Mart ${Date.now()}`, kind: 'shop_terminal', scopes: ['payments:request', 'payments:redeem', 'webhooks:manage'] },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { secret: string }).secret;
}

async function v1(base: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(method === 'POST' ? { 'idempotency-key': `b-${Date.now()}-${Math.random()}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

function ask(n: number): unknown {
  return {
    login_hint: 'hanako',
    binding_message: `B-${n % 100}`,
    authorization_details: [{ type: 'payment', amount: 10, currency: 'JPY', description: `Bench item ${n}` }],
    requested_expiry: 600,
  };
}

/** A loopback receiver for the terminal's pings: auth_req_id → arrival. */
async function pings(): Promise<{ url: string; approved: Map<string, number>; close(): void }> {
  const approved = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (payload.data?.status === 'approved') approved.set(payload.data.auth_req_id, Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/pings`, approved, close: () => server.close() };
}

test(`request to Hanako's card with ${OTHERS} other live channels, and approval to the shop paid`, async ({ isolated, failures }) => {
  test.setTimeout(40 * 60_000);
  // Hanako has no passkey until she adds one, which her first approval says (409).
  failures.allow(/HTTP 409: POST .*\/api\/approvals\/approve\/begin/);
  failures.allow(/console error: Failed to load resource: .* status of 409/);
  const base = isolated.origin.replace('localhost', '127.0.0.1');
  const key = await terminal(base);
  const hooks = await pings();
  expect((await v1(base, key, 'POST', '/v1/webhooks/endpoint', { url: hooks.url })).status).toBe(200);
  const open = await openOthers(base, OTHERS, ['taro', 'yoko', 'sato', 'yui']);
  expect(open.size).toBe(OTHERS);

  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await addVirtualAuthenticator(phone);
  await demoSignIn(phone, 'hanako');
  await phone.goto('/customer/approvals');
  await expect(phone.getByText('Live', { exact: true })).toBeVisible();
  await phone.evaluate(() => {
    window.shownAt = {};
    new MutationObserver(() => {
      const now = performance.timeOrigin + performance.now();
      for (const a of document.querySelectorAll<HTMLElement>('article[data-approval]')) {
        window.shownAt[a.dataset.approval!] ??= now;
      }
    }).observe(document.body, { subtree: true, childList: true });
  });
  const origin = isolated.origin;
  const seen = async () => phone.evaluate(() => Object.keys(window.shownAt));

  // 1. Request → card.
  const shown: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const before = new Set(await seen());
    const sentAt = Date.now();
    expect((await v1(base, key, 'POST', '/v1/payment-requests', ask(run))).status).toBe(200);
    let id = '';
    await expect
      .poll(async () => {
        id = (await seen()).find((k) => !before.has(k)) ?? '';
        return id;
      }, { intervals: [5] })
      .not.toBe('');
    shown.push((await phone.evaluate((a) => window.shownAt[a], id)) - sentAt);
    const res = await phone.request.post('/api/approvals/decline', { headers: { origin }, form: { id } });
    expect(res.status()).toBe(200);
  }

  // 2. Approval → token redeemed → paid, the terminal driven by its pings.
  const finishedAt: number[] = [];
  phone.on('request', (r) => {
    if (r.url().endsWith('/api/approvals/approve/finish')) finishedAt.push(Date.now());
  });
  const paid: number[] = [];
  let first = true;
  for (let run = 0; run < PAID_RUNS; run++) {
    const asked = await v1(base, key, 'POST', '/v1/payment-requests', ask(run));
    const id: string = asked.json.auth_req_id;
    const card = phone.locator('article[data-approval]').first();
    await card.getByRole('button', { name: 'Approve with passkey' }).click();
    if (first) {
      await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
      await expect(card.getByRole('status')).toContainText('Passkey added');
      await card.getByRole('button', { name: 'Approve with passkey' }).click();
      first = false;
    }
    await expect.poll(() => hooks.approved.has(id), { intervals: [2] }).toBe(true);
    const token = (await v1(base, key, 'GET', `/v1/payment-requests/${id}`)).json.payment_token;
    const redeemed = await v1(base, key, 'POST', '/v1/payments', { payment_token: token, amount: 10, currency: 'JPY', reference: `r-${run}` });
    expect(redeemed.status).toBe(201);
    paid.push(Date.now() - finishedAt[finishedAt.length - 1]);
    await expect(phone.locator('article[data-approval]')).toHaveCount(0);
  }
  const stillOpen = open.size;
  for (const req of open) req.destroy();
  hooks.close();
  console.log(
    `request-to-card runs=${shown.length} other_channels=${OTHERS} still_open=${stillOpen} ` +
      `p50=${f(percentile(shown, 50))}ms p90=${f(percentile(shown, 90))}ms p99=${f(percentile(shown, 99))}ms max=${f(Math.max(...shown))}ms`,
  );
  console.log(
    `approval-to-paid runs=${paid.length} (ping, token fetched, redeemed 201) ` +
      `p50=${f(percentile(paid, 50))}ms p90=${f(percentile(paid, 90))}ms p99=${f(percentile(paid, 99))}ms max=${f(Math.max(...paid))}ms`,
  );
  expect(stillOpen).toBe(OTHERS);
});
