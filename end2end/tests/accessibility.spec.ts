// Accessibility as a gate: axe-core checks every view against WCAG 2.1 A and
// AA, signed out and as each persona, in both languages, at phone and
// desktop sizes. Any violation fails, listed with the elements it names.
// The screens only a flow reaches (cards, dialogs, a kiosk mid-withdrawal)
// are judged where the flows stop at them (`support/screens.ts`).
import { test, expect } from '../support/fixtures';
import { violations } from '../support/axe';
import { demoSignIn } from '../support/session';

type Persona = 'hanako' | 'taro' | 'yoko' | 'sato';

// Every view each audience reaches (the first of each is where they land).
const VIEWS: { as: Persona | null; paths: string[] }[] = [
  { as: null, paths: ['/', '/signin', '/atm', '/shop'] },
  {
    as: 'hanako',
    paths: [
      '/customer', '/customer/approvals', '/customer/cash', '/customer/consult', '/customer/send',
      '/customer/payees', '/customer/proofs', '/customer/identity', '/customer/delegation',
      '/customer/activity', '/customer/messages/yui',
    ],
  },
  { as: 'taro', paths: ['/customer', '/customer/purchases'] },
  { as: 'yoko', paths: ['/guardian', '/guardian/purchases', '/guardian/rules', '/guardian/family'] },
  {
    as: 'sato',
    paths: [
      '/staff', '/staff/transfers', '/staff/rules', '/staff/api-clients', '/staff/atms', '/staff/people',
      '/staff/reviews', '/staff/audit', '/staff/history',
    ],
  },
];

const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

for (const locale of ['en-US', 'ja-JP']) {
  test.describe(`in ${locale}`, () => {
    test.use({ locale });
    for (const [size, viewport] of Object.entries(SIZES)) {
      for (const { as, paths } of VIEWS) {
        test(`${as ?? 'signed out'}'s views at ${size} size meet WCAG 2.1 AA`, async ({ page }) => {
          await page.setViewportSize(viewport);
          if (as) await demoSignIn(page, as);
          const found: string[] = [];
          for (const path of paths) {
            await page.goto(path);
            await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();
            found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
          }
          expect(found).toEqual([]);
        });
      }
    }
  });
}
