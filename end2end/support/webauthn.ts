// A virtual WebAuthn authenticator through the Chrome DevTools Protocol: a
// platform authenticator with resident keys that verifies the user, as a
// phone with a fingerprint reader would.
import type { CDPSession, Page } from '@playwright/test';

export type VirtualAuthenticator = {
  cdp: CDPSession;
  authenticatorId: string;
  /** Credentials the authenticator holds. */
  credentials(): Promise<Array<{ credentialId: string; rpId?: string; signCount: number }>>;
  /** Whether the next ceremonies verify the user (false simulates a failed fingerprint). */
  setUserVerified(verified: boolean): Promise<void>;
};

export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    setUserVerified: async (isUserVerified) => {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
  };
}
