// Pushed-form latency (flow F1): the time from the clerk sending a
// withdrawal form in a consultation to the form being on the customer's
// phone, measured RUNS times while OTHERS other signed-in live channels are
// open. Both pages are in one browser on this machine, so their clocks
// agree: the start is a capturing `submit` listener on the clerk's push
// form, the end a MutationObserver on the phone seeing the form's heading.
// After each run the clerk withdraws the form and the phone drops it. The
// browsers have no camera here, so the video call is off: this measures
// the form's path, not a machine busy with video.
import { test, expect } from '../support/fixtures';
import { demoSignIn } from '../support/session';
import { openOthers, percentile } from '../support/bench';

const RUNS = Number(process.env.RUNS ?? 100);
const OTHERS = Number(process.env.OTHERS ?? 1000);

declare global {
  interface Window {
    pushedAt: number[];
    formAt: number[];
  }
}

const database = process.env.BENCH_DATABASE_URL ? ['--database-url', process.env.BENCH_DATABASE_URL] : [];
test.use({ serverArgs: ['--sign-in-per-minute', '1000000', ...database] });

test(`pushed form latency over ${RUNS} runs with ${OTHERS} other live channels`, async ({ isolated, failures }) => {
  test.setTimeout(30 * 60_000);
  // No camera in this browser: the call says so and the rest of the page works.
  failures.allow(/console (error|warning).*(camera|getUserMedia|NotFoundError|Requested device not found)/i);
  const base = isolated.origin.replace('localhost', '127.0.0.1');
  const open = await openOthers(base, OTHERS);
  expect(open.size).toBe(OTHERS);

  const clerk = await isolated.newPage({ viewport: { width: 1280, height: 900 } });
  await demoSignIn(clerk, 'sato');
  await clerk.goto('/staff');
  await expect(clerk.getByText('Live', { exact: true })).toBeVisible();
  const phone = await isolated.newPage({ viewport: { width: 390, height: 844 } });
  await demoSignIn(phone, 'hanako');
  await phone.goto('/customer/consult');
  await phone.getByLabel('What would you like to talk about?').fill('Benchmark');
  await phone.getByRole('button', { name: 'Ask for a consultation' }).click();
  await clerk.getByRole('article', { name: 'Hanako Yamada' }).getByRole('button', { name: 'Take this consultation' }).click();
  const card = clerk.getByRole('article', { name: 'Talking with Hanako Yamada' });
  await expect(phone.getByRole('status').filter({ hasText: 'You are talking with Sato Kenji' })).toBeVisible();

  await clerk.evaluate(() => {
    window.pushedAt = [];
    document.addEventListener('submit', (e) => {
      if ((e.target as HTMLElement).closest('.clerk-form')) window.pushedAt.push(performance.timeOrigin + performance.now());
    }, true);
  });
  await phone.evaluate(() => {
    window.formAt = [];
    let shown = false;
    new MutationObserver(() => {
      const now = !!document.getElementById('withdrawal-form-heading');
      if (now && !shown) window.formAt.push(performance.timeOrigin + performance.now());
      shown = now;
    }).observe(document.body, { subtree: true, childList: true });
  });

  const latencies: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await card.getByLabel('Suggested amount in yen (optional)').fill('10000');
    await card.getByRole('button', { name: 'Send the form to the customer' }).click();
    await expect.poll(() => phone.evaluate(() => window.formAt.length)).toBe(run + 1);
    const [pushed, shown] = [
      await clerk.evaluate(() => window.pushedAt[window.pushedAt.length - 1]),
      await phone.evaluate(() => window.formAt[window.formAt.length - 1]),
    ];
    latencies.push(shown - pushed);
    await card.getByRole('button', { name: 'Withdraw the form' }).click();
    await expect(phone.getByRole('heading', { name: 'Cash withdrawal form' })).toHaveCount(0);
  }
  const stillOpen = open.size;
  for (const req of open) req.destroy();

  const f = (ms: number) => ms.toFixed(1);
  console.log(
    `push-form-latency runs=${latencies.length} other_channels=${OTHERS} still_open=${stillOpen} ` +
      `p50=${f(percentile(latencies, 50))}ms p90=${f(percentile(latencies, 90))}ms ` +
      `p99=${f(percentile(latencies, 99))}ms max=${f(Math.max(...latencies))}ms`,
  );
  expect(stillOpen).toBe(OTHERS);
});
