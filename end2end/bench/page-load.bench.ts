// Bytes and time to a working page, per view, with a cold cache: for each
// view the browser's cache is cleared, the page loaded, and the bytes the
// network carried (CDP `encodedDataLength`, compressed as sent) summed by
// kind until the view's own content is on screen. "Working" is that content,
// drawn by the WASM from the server's answers (the customer's accounts, the
// kiosk's welcome), timed in the page from navigation start. Each view is
// loaded RUNS times; prints the median and worst, and one table row per view.
import { test, expect } from '../support/fixtures';
import { sessionOf } from '../support/bench';

const RUNS = Number(process.env.RUNS ?? 5);

type View = { name: string; path: string; persona?: string; ready: string };

// `ready` is a CSS selector of content only the loaded view draws.
const VIEWS: View[] = [
  { name: 'landing', path: '/', ready: 'main h1' },
  { name: 'customer accounts', path: '/customer', persona: 'hanako', ready: 'article.account-card' },
  { name: 'customer cash', path: '/customer/cash', persona: 'hanako', ready: '#cash-heading' },
  { name: 'guardian', path: '/guardian', persona: 'yoko', ready: 'main .empty-state, main article' },
  { name: 'staff', path: '/staff', persona: 'sato', ready: 'main .empty-state, main article' },
  { name: 'atm kiosk', path: '/atm', ready: 'h1.kiosk__welcome' },
];

declare global {
  interface Window {
    readyAt?: number;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('bytes and time to a working page, per view, cold cache', async ({ page, context, baseURL }) => {
  test.setTimeout(10 * 60_000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const bytes = new Map<string, { url: string; size: number }>();
  const urls = new Map<string, string>();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) =>
    bytes.set(e.requestId, { url: urls.get(e.requestId) ?? '', size: e.encodedDataLength }),
  );
  const rows: string[] = [];
  for (const view of VIEWS) {
    await context.clearCookies();
    if (view.persona) {
      const cookie = await sessionOf(baseURL!, view.persona);
      const url = new URL(baseURL!);
      await context.addCookies(
        cookie.split('; ').map((c) => {
          const [name, ...value] = c.split('=');
          return { name, value: value.join('='), domain: url.hostname, path: '/' };
        }),
      );
    }
    const times: number[] = [];
    let wasm = 0;
    let js = 0;
    let total = 0;
    for (let run = 0; run < RUNS; run++) {
      await page.goto('about:blank');
      await cdp.send('Network.clearBrowserCache');
      bytes.clear();
      await page.addInitScript((selector: string) => {
        const seen = () => {
          if (window.readyAt === undefined && document.querySelector(selector)) window.readyAt = performance.now();
        };
        new MutationObserver(seen).observe(document, { subtree: true, childList: true });
      }, view.ready);
      await page.goto(view.path);
      await expect(page.locator(view.ready).first()).toBeVisible();
      await expect.poll(() => page.evaluate(() => window.readyAt)).toBeGreaterThan(0);
      times.push(await page.evaluate(() => window.readyAt!));
      // What the page asked for while loading has finished arriving by now.
      const all = [...bytes.values()];
      const sum = (ending: string) =>
        all.filter((b) => new URL(b.url || 'http://x/').pathname.endsWith(ending)).reduce((n, b) => n + b.size, 0);
      wasm = sum('.wasm');
      js = sum('.js');
      total = all.reduce((n, b) => n + b.size, 0);
    }
    const row = `| ${view.name} | \`${view.path}\` | ${(wasm / 1000).toFixed(0)} | ${(js / 1000).toFixed(1)} | ${(total / 1000).toFixed(0)} | ${median(times).toFixed(0)} | ${Math.max(...times).toFixed(0)} |`;
    console.log(row);
    rows.push(row);
  }
  console.log(
    [
      `page load, cold cache, ${RUNS} runs per view (kB as sent; ms from navigation start)`,
      '| view | path | WASM kB | JS kB | all kB | median ms | worst ms |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
});
