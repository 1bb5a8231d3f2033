// A new clerk enrolls with the one-time link from `anshin create-staff`.
import { test, expect } from '../support/fixtures';
import { addVirtualAuthenticator } from '../support/webauthn';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

test('a new clerk enrolls with a passkey and may read the audit trail', async ({ page, baseURL }) => {
  const bin = process.env.ANSHIN_BIN ?? resolve(__dirname, '../../target/debug/anshin');
  const dbUrl = `sqlite://${join(process.env.ANSHIN_E2E_DATA!, 'e2e.db')}?mode=rwc`;
  const out = execFileSync(bin, ['create-staff', '--name', 'Kimura Aya', '--origin', baseURL!, '--database-url', dbUrl], {
    encoding: 'utf8',
  });
  const link = out.trim().split('\n').pop()!;
  expect(link).toMatch(/\/signin\?enroll=[\w-]{43}$/);

  await addVirtualAuthenticator(page);
  await page.goto(link);
  await expect(page.getByRole('note')).toContainText('Staff enrollment');
  await expect(page.getByLabel('Your name')).toHaveCount(0);
  await page.getByLabel('Public nickname').fill(`kimura${Date.now() % 1_000_000}`);
  await page.getByLabel('Date of birth').fill('1992-06-01');
  await page.getByRole('button', { name: 'Create my account with a passkey' }).click();
  await expect(page.getByRole('banner')).toContainText('Kimura Aya');

  await page.goto('/staff/audit');
  await expect(page.getByRole('table', { name: 'Audit trail' })).toContainText('staff.enrollment_created');
});
