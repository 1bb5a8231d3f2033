// The two devices of a cardless withdrawal: a phone that prepares a code,
// and a kiosk browser that staff turned into an ATM and that takes the code.
import { expect, type Page } from '@playwright/test';

async function post(staff: Page, path: string, form: Record<string, string>): Promise<any> {
  const origin = new URL(staff.url()).origin;
  const res = await staff.request.post(path, { headers: { origin }, form });
  expect(res.status(), `${path} answered`).toBe(200);
  return res.json();
}

/** A fresh one-time kiosk code for ATM `id`, issued by a signed-in clerk. */
export async function kioskCode(staff: Page, id: number): Promise<string> {
  return (await post(staff, '/api/atms/reissue', { id: String(id) })).code;
}

/** Registers an ATM holding `cashYen` and returns its id and kiosk code. */
export async function registerAtm(staff: Page, name: string, cashYen: number): Promise<{ id: number; code: string }> {
  const enrollment = await post(staff, '/api/atms/register', {
    'atm[name]': name,
    'atm[address]': '2-21-1 Shibuya, Shibuya-ku, Tokyo',
    'atm[lat]': '35.6590',
    'atm[lon]': '139.7037',
    'atm[cash_yen]': String(cashYen),
  });
  return { id: enrollment.atm.id, code: enrollment.code };
}

/** Makes `kiosk` an ATM with a kiosk code, and checks its idle screen names `name`
 * (not for a kiosk whose camera may read a code at once). */
export async function enrollKiosk(kiosk: Page, code: string, name?: string): Promise<void> {
  await kiosk.goto('/atm');
  await kiosk.getByLabel('Enrollment code').fill(code);
  await kiosk.getByRole('button', { name: 'Make this screen the ATM' }).click();
  if (name) await expect(kiosk.getByText(`This screen is ${name}.`)).toBeVisible();
}

/** Prepares a withdrawal of `yen` on the phone's Cash page; returns the short code. */
export async function prepareCash(phone: Page, yen: number): Promise<string> {
  await phone.goto('/customer/cash');
  await phone.getByLabel('Amount (yen, whole thousands)').fill(String(yen));
  await phone.getByRole('button', { name: 'Prepare the code' }).click();
  return (await phone.getByTestId('short-code').textContent())!.trim();
}

/** Types a short code at the kiosk, as someone whose phone's QR will not scan. */
export async function typeCode(kiosk: Page, code: string): Promise<void> {
  await kiosk.getByLabel('Code from your phone').fill(code);
  await kiosk.getByRole('button', { name: 'Continue' }).click();
}
