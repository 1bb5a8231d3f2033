// What a user sees when the server cannot be reached or refuses a request.
import { test, expect } from '../support/fixtures';

test('an unreachable server shows a clear error and retry recovers', async ({ page, failures }) => {
  failures.allow(/request failed: POST .*\/api\/system\/status/);
  failures.allow(/console error: Failed to load resource: net::ERR_CONNECTION_REFUSED/);
  let block = true;
  await page.route('**/api/system/status', (route) => (block ? route.abort('connectionrefused') : route.continue()));
  await page.goto('/');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('We could not reach Anshin');
  block = false;
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Connected to Anshin' })).toBeVisible();
});

test('a server error shows only its reference, never its cause', async ({ page, failures }) => {
  failures.allow(/HTTP 500: POST .*\/api\/system\/status/);
  failures.allow(/console error: Failed to load resource: .* status of 500/);
  await page.route('**/api/system/status', (route) =>
    route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({ code: 'internal', reference: 'ab12cd34ef56' }),
    }),
  );
  await page.goto('/');
  await expect(page.getByRole('alert')).toContainText('quote reference ab12cd34ef56');
});

test('a cross-site form post is refused by the server', async ({ request, baseURL }) => {
  const res = await request.post(`${baseURL}/api/system/status`, {
    headers: { Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
    data: '',
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).message).toContain('Cross-origin request refused');
});
