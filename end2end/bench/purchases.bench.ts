// Guardians and merchants (F4), measured through the real machine API:
//
// 1. A merchant reports a minor's purchase → the guardian's open purchases
//    page shows it: from the moment the merchant sends `POST /v1/purchases`
//    (Node's wall clock) to a MutationObserver on the guardian's page seeing
//    the purchase's card, RUNS times, while OTHERS other signed-in live
//    channels are open (opened from Node, as people other than the minor
//    and the guardian).
// 2. Webhook event → receiver: the guardian cancels each purchase (paid
//    elsewhere, so the merchant is asked for a refund); the
//    `purchase.refund_requested` webhook reaches a receiver this benchmark
//    runs on loopback. The event's time is the payload's `timestamp`, taken
//    in the transaction that wrote it (milliseconds); its arrival is Node's
//    wall clock. Each signature is checked with the npm `standardwebhooks`
//    package.
// 3. Purchases accepted per second at CLIENTS concurrent API clients: as
//    many merchants, each with its own key, report purchases paid elsewhere
//    as fast as they are answered, for SECONDS.
//
// Server, browser and receiver share this machine's clock.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';
import { openOthers, percentile, sessionOf } from '../support/bench';

const RUNS = Number(process.env.RUNS ?? 200);
const OTHERS = Number(process.env.OTHERS ?? 1000);
const CLIENTS = Number(process.env.CLIENTS ?? 64);
const SECONDS = Number(process.env.SECONDS ?? 10);

// The benchmark makes thousands of API calls and sign-ins: far beyond the production limits.
// BENCH_DATABASE_URL runs it on another database (an empty PostgreSQL one, say).
const database = process.env.BENCH_DATABASE_URL ? ['--database-url', process.env.BENCH_DATABASE_URL] : [];
test.use({
  serverArgs: ['--api-per-minute', '100000000', '--sign-in-per-minute', '1000000', '--decisions-per-minute', '1000000', ...database],
});

declare global {
  interface Window {
    shownAt: Record<string, number>;
  }
}

type Json = Record<string, unknown>;

/** A server function call from Node as the person with `cookie`. */
async function call(base: string, cookie: string, path: string, body: Json | string): Promise<unknown> {
  const json = typeof body !== 'string';
  const res = await fetch(`${base}/api/${path}`, {
    method: 'POST',
    headers: {
      origin: base,
      cookie,
      'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
    },
    body: json ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBe(200);
  return text ? JSON.parse(text) : null;
}

/** A merchant registered by the demo clerk; answers its key. */
async function merchant(base: string, clerk: string, name: string): Promise<string> {
  const issued = (await call(base, clerk, 'staff/api-clients/register', {
    new: { name, kind: 'merchant', scopes: ['purchases:write', 'webhooks:manage'] },
  })) as { secret: string };
  return issued.secret;
}

/** Taro's account number, and his guardian's rules cleared, so no purchase is cancelled by a rule. */
async function minorWithoutRules(base: string): Promise<string> {
  const taro = await sessionOf(base, 'taro');
  const accounts = (await call(base, taro, 'accounts/mine', '')) as Array<{ id: number; label: string }>;
  const account = accounts.find((a) => a.label === 'ordinary')!;
  const yoko = await sessionOf(base, 'yoko');
  const overview = (await call(base, yoko, 'guardian/overview', '')) as { wards: Array<{ minor: number; nickname: string }> };
  const minor = overview.wards.find((w) => w.nickname === 'taro')!.minor;
  const none = { per_purchase_yen: null, per_day_yen: null, per_month_yen: null, blocked_categories: [], blocked_merchants: [], ask_above_yen: null, hours: null };
  await call(base, yoko, 'guardian/conditions', { minor, conditions: none });
  return String(account.id).padStart(7, '0');
}

function purchaseBody(minor: string, reference: string): string {
  return JSON.stringify({
    minor, amount: 100, currency: 'JPY', category: 'books',
    description: 'Benchmark notebook', reference, payment: 'elsewhere',
  });
}

/** Reports a purchase; answers its id and the status. */
async function report(base: string, key: string, minor: string, idem: string): Promise<{ status: number; id?: number }> {
  const res = await fetch(`${base}/v1/purchases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem, 'content-type': 'application/json' },
    body: purchaseBody(minor, idem),
  });
  const body = (await res.json()) as { id?: number };
  return { status: res.status, id: body.id };
}

type Received = { id: string; at: number; type: string; purchase: number; sentAt: number; verified: boolean };

/** A webhook receiver on loopback that checks every signature with `secret`. */
async function receiver(secret: () => string): Promise<{ url: string; got: Received[]; close(): void }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = true;
      try {
        new Webhook(secret()).verify(body, headers);
      } catch {
        verified = false;
      }
      const payload = JSON.parse(body);
      got.push({
        id: headers['webhook-id'], at, type: payload.type, purchase: payload.data.id,
        sentAt: Date.parse(payload.timestamp), verified,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hooks`, got, close: () => server.close() };
}

const f = (ms: number) => ms.toFixed(1);

test(`purchase to the guardian's page and webhook to the receiver, ${RUNS} runs with ${OTHERS} other live channels`, async ({ isolated }) => {
  test.setTimeout(30 * 60_000);
  const base = isolated.origin.replace('localhost', '127.0.0.1');
  const clerk = await sessionOf(base, 'sato');
  const minor = await minorWithoutRules(base);
  const key = await merchant(base, clerk, 'Benchmark stationery');
  let secret = '';
  const hooks = await receiver(() => secret);
  const endpoint = await fetch(`${base}/v1/webhooks/endpoint`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': `ep-${Date.now()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: hooks.url }),
  });
  expect(endpoint.status).toBe(200);
  secret = ((await endpoint.json()) as { secret: string }).secret;
  const open = await openOthers(base, OTHERS, ['hanako', 'sato', 'yui']);
  expect(open.size).toBe(OTHERS);

  const guardian = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await demoSignIn(guardian, 'yoko');
  await guardian.goto('/guardian/purchases');
  await expect(guardian.getByText('Live', { exact: true })).toBeVisible();
  await guardian.evaluate(() => {
    window.shownAt = {};
    new MutationObserver(() => {
      const now = performance.timeOrigin + performance.now();
      for (const li of document.querySelectorAll<HTMLElement>('li.purchase[data-purchase]')) {
        window.shownAt[li.dataset.purchase!] ??= now;
      }
    }).observe(document.body, { subtree: true, childList: true });
  });
  const origin = isolated.origin;
  const cancel = async (id: number) => {
    const res = await guardian.request.post('/api/guardian/cancel', { headers: { origin }, form: { id: String(id) } });
    expect(res.status()).toBe(200);
  };

  const started = Date.now();
  const shown: number[] = [];
  const webhook: number[] = [];
  const cancelToWebhook: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const sentAt = Date.now();
    const reported = await report(base, key, minor, `bench-${started}-${run}`);
    expect(reported.status).toBe(201);
    const id = String(reported.id);
    await expect.poll(() => guardian.evaluate((p) => window.shownAt[p] ?? null, id), { intervals: [5] }).not.toBeNull();
    shown.push((await guardian.evaluate((p) => window.shownAt[p], id)) - sentAt);

    const cancelAt = Date.now();
    await cancel(reported.id!);
    await expect.poll(() => hooks.got.some((g) => g.purchase === reported.id), { intervals: [5] }).toBe(true);
    const hook = hooks.got.find((g) => g.purchase === reported.id)!;
    expect(hook.type).toBe('purchase.refund_requested');
    webhook.push(hook.at - hook.sentAt);
    cancelToWebhook.push(hook.at - cancelAt);
  }
  const stillOpen = open.size;
  for (const req of open) req.destroy();
  hooks.close();
  const verified = hooks.got.filter((g) => g.verified).length;
  const ids = new Set(hooks.got.map((g) => g.id)).size;

  console.log(
    `purchase-to-guardian runs=${shown.length} other_channels=${OTHERS} still_open=${stillOpen} ` +
      `p50=${f(percentile(shown, 50))}ms p90=${f(percentile(shown, 90))}ms p99=${f(percentile(shown, 99))}ms max=${f(Math.max(...shown))}ms`,
  );
  console.log(
    `webhook-event-to-receiver deliveries=${hooks.got.length} distinct_ids=${ids} verified=${verified} ` +
      `p50=${f(percentile(webhook, 50))}ms p90=${f(percentile(webhook, 90))}ms p99=${f(percentile(webhook, 99))}ms max=${f(Math.max(...webhook))}ms ` +
      `(guardian's cancel sent → received: p50=${f(percentile(cancelToWebhook, 50))}ms p99=${f(percentile(cancelToWebhook, 99))}ms)`,
  );
  expect(stillOpen).toBe(OTHERS);
  expect(verified).toBe(hooks.got.length);
  expect(ids).toBe(RUNS);
});

test(`purchases accepted per second at ${CLIENTS} concurrent API clients for ${SECONDS} s`, async ({ isolated }) => {
  test.setTimeout(10 * 60_000);
  const base = isolated.origin.replace('localhost', '127.0.0.1');
  const clerk = await sessionOf(base, 'sato');
  const minor = await minorWithoutRules(base);
  const keys: string[] = [];
  for (let i = 0; i < CLIENTS; i++) keys.push(await merchant(base, clerk, `Benchmark shop ${i + 1}`));

  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const until = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    keys.map(async (key, client) => {
      for (let n = 0; Date.now() < until; n++) {
        const t0 = performance.now();
        const { status } = await report(base, key, minor, `load-${started}-${client}-${n}`);
        latencies.push(performance.now() - t0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const accepted = statuses.get(201) ?? 0;
  const other = [...statuses.entries()].filter(([s]) => s !== 201).map(([s, n]) => `${s}:${n}`).join(',') || 'none';
  console.log(
    `purchases-accepted clients=${CLIENTS} seconds=${elapsed.toFixed(1)} accepted=${accepted} ` +
      `per_s=${(accepted / elapsed).toFixed(0)} other_statuses=${other} ` +
      `p50=${f(percentile(latencies, 50))}ms p99=${f(percentile(latencies, 99))}ms`,
  );
  expect(accepted).toBeGreaterThan(0);
  expect(other).toBe('none');
});
