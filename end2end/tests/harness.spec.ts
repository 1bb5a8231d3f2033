// The tools later flows rely on: they must work on this machine's Chromium.
import { test, expect } from '../support/fixtures';
import { addVirtualAuthenticator } from '../support/webauthn';
import { SHIBUYA_STATION, north, setLocation } from '../support/geolocation';
import { launchWithCamera, makeQrVideo } from '../support/camera';

test('virtual authenticator creates a user-verified passkey on localhost', async ({ page }) => {
  const authenticator = await addVirtualAuthenticator(page);
  await page.goto('/');
  const flags = await page.evaluate(async () => {
    const cred = (await navigator.credentials.create({
      publicKey: {
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        rp: { id: 'localhost', name: 'Anshin' },
        user: { id: new Uint8Array([1, 2, 3]), name: 'hanako', displayName: 'Hanako' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      },
    })) as PublicKeyCredential;
    const data = new Uint8Array((cred.response as AuthenticatorAttestationResponse).getAuthenticatorData());
    return data[32];
  });
  expect(flags & 0x04, 'user verified flag').toBe(0x04);
  expect(await authenticator.credentials()).toHaveLength(1);
});

test('geolocation override places the browser where the test says', async ({ page, context }) => {
  const place = north(SHIBUYA_STATION, 5_000);
  await setLocation(context, place);
  await page.goto('/');
  const seen = await page.evaluate(
    () =>
      new Promise<{ lat: number; lon: number }>((resolve, reject) =>
        navigator.geolocation.getCurrentPosition(
          (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
          reject,
        ),
      ),
  );
  expect(seen.lat).toBeCloseTo(place.latitude, 6);
  expect(seen.lon).toBeCloseTo(place.longitude, 6);
});

test('fake camera plays a generated QR video to getUserMedia', async ({ baseURL }) => {
  const browser = await launchWithCamera(makeQrVideo('anshin-test-code'));
  try {
    const context = await browser.newContext();
    await context.grantPermissions(['camera'], { origin: baseURL });
    const page = await context.newPage();
    await page.goto(`${baseURL}/atm`);
    const frame = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = stream;
      await video.play();
      await new Promise((r) => setTimeout(r, 300));
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(video, 0, 0);
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let dark = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 64) dark++;
      stream.getTracks().forEach((t) => t.stop());
      return { width: canvas.width, height: canvas.height, darkShare: dark / (pixels.length / 4) };
    });
    expect(frame.width).toBe(640);
    expect(frame.height).toBe(480);
    // A QR code is roughly half dark modules inside its 400×400 box on white.
    expect(frame.darkShare).toBeGreaterThan(0.1);
    expect(frame.darkShare).toBeLessThan(0.5);
  } finally {
    await browser.close();
  }
});
