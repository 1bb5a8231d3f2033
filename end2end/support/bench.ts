// Helpers for benchmarks: percentiles, and the other signed-in live
// channels a benchmark keeps open while it measures (opened from Node with
// demo personas' sessions: a thousand browser tabs would not fit this machine).
import http from 'node:http';
import { expect } from '@playwright/test';

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A session cookie for a demo persona, signed in from Node. */
export async function sessionOf(base: string, persona: string): Promise<string> {
  const res = await fetch(`${base}/api/identity/demo-sign-in`, {
    method: 'POST',
    headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: `persona=${persona}`,
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** Opens a live channel with `cookie` and keeps reading it; resolves once the server answered. */
export function openChannel(base: string, cookie: string, open: Set<http.ClientRequest>): Promise<void> {
  return new Promise((done, fail) => {
    const req = http.get(`${base}/api/events`, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`live channel answered ${res.statusCode}`));
      open.add(req);
      res.on('data', () => {});
      res.on('close', () => open.delete(req));
      done();
    });
    req.on('error', fail);
  });
}

/** Opens `count` live channels as `personas` (by default those other than Hanako); all must answer. */
export async function openOthers(
  base: string,
  count: number,
  personas: string[] = ['taro', 'yoko', 'sato'],
): Promise<Set<http.ClientRequest>> {
  const open = new Set<http.ClientRequest>();
  for (let i = 0; i < count; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 50); j++) {
      batch.push(sessionOf(base, personas[j % personas.length]).then((c) => openChannel(base, c, open)));
    }
    await Promise.all(batch);
  }
  return open;
}
