// Notification latency from event to page: the server raises N requests for
// a signed-in person, one after another; the page shows each in its open
// notifications list. Latency is the time from the event's timestamp
// (taken on the server inside the transaction that records it) to the
// moment the page's DOM holds it (a MutationObserver's wall-clock time).
// Server and browser share this machine's clock. Prints p50/p90/p99/max.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';

const EVENTS = Number(process.env.EVENTS ?? 1000);

declare global {
  interface Window {
    seen: Record<string, number>;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

test(`notification latency over ${EVENTS} events`, async ({ page }) => {
  test.setTimeout(15 * 60_000);
  await demoSignIn(page, 'hanako');
  await page.goto('/customer/activity');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await page.evaluate(() => {
    window.seen = {};
    new MutationObserver((mutations) => {
      const now = performance.timeOrigin + performance.now();
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          const items = node.matches('li.inbox__item') ? [node] : [...node.querySelectorAll('li.inbox__item')];
          for (const li of items) {
            const seq = (li as HTMLElement).dataset.seq!;
            window.seen[seq] ??= now;
          }
        }
      }
    }).observe(document.body, { subtree: true, childList: true });
  });
  const origin = new URL(page.url()).origin;
  const started = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    const res = await page.request.post('/api/approvals/practice', {
      headers: { origin },
      form: { near_atm: 'false', seconds: '3600' },
    });
    expect(res.status()).toBe(200);
  }
  const raisedIn = Date.now() - started;
  await expect.poll(() => page.evaluate(() => Object.keys(window.seen).length), { timeout: 60_000 }).toBeGreaterThanOrEqual(EVENTS);
  const seen: Record<string, number> = await page.evaluate(() => window.seen);

  // Each event's own timestamp, from the inbox.
  const atUs = new Map<number, number>();
  let before: number | null = null;
  do {
    const res = await page.request.post('/api/inbox/page', {
      headers: { origin },
      form: before === null ? {} : { before: String(before) },
    });
    const inbox = await res.json();
    for (const n of inbox.items) atUs.set(n.seq, n.at_us);
    before = inbox.next_before;
  } while (before !== null);

  const latencies = Object.entries(seen)
    .map(([seq, shownMs]) => shownMs - atUs.get(Number(seq))! / 1000)
    .sort((a, b) => a - b);
  expect(latencies.length).toBeGreaterThanOrEqual(EVENTS);
  const f = (ms: number) => ms.toFixed(1);
  console.log(
    `notify-latency events=${latencies.length} raised_in=${raisedIn}ms ` +
      `p50=${f(percentile(latencies, 50))}ms p90=${f(percentile(latencies, 90))}ms ` +
      `p99=${f(percentile(latencies, 99))}ms max=${f(latencies[latencies.length - 1])}ms`,
  );
});
