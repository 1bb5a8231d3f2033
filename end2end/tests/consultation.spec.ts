// A remote consultation, both sides live: the customer asks on the phone,
// the request appears in the clerk's open console, the clerk takes it, each
// sees and hears the other (WebRTC between two browsers with synthetic
// cameras and microphones, signalled through our server), they chat both
// ways, and the customer ends it. On a server of its own, so the clerk's
// queue holds only this test's request.
import { test, expect } from '../support/fixtures';
import type { Page } from '@playwright/test';
import { demoSignIn } from '../support/session';
import { launchWithFakeMedia } from '../support/camera';

/** Frames decoded so far by the page's remote video, and its audio tracks. */
function remoteMedia(page: Page): Promise<{ frames: number; audio: number }> {
  return page.locator('video[data-remote]').evaluate((v: HTMLVideoElement) => ({
    frames: v.getVideoPlaybackQuality().totalVideoFrames,
    audio: v.srcObject instanceof MediaStream ? v.srcObject.getAudioTracks().length : 0,
  }));
}

/** The page shows the other side's video with frames still arriving, and has its sound. */
async function expectRemoteVideo(page: Page): Promise<void> {
  await expect.poll(async () => (await remoteMedia(page)).frames, { timeout: 20_000 }).toBeGreaterThan(0);
  const first = (await remoteMedia(page)).frames;
  await expect.poll(async () => (await remoteMedia(page)).frames).toBeGreaterThan(first);
  expect((await remoteMedia(page)).audio).toBe(1);
}

test('a customer asks, a clerk takes it, they see and hear each other, chat, and the customer ends it', async ({ isolated }) => {
  test.setTimeout(90_000);
  const media = await launchWithFakeMedia();
  const clerk = await isolated.newPage({ browser: media, viewport: { width: 1280, height: 800 } });
  await clerk.context().grantPermissions(['camera', 'microphone']);
  await demoSignIn(clerk, 'sato');
  await clerk.goto('/staff');
  await expect(clerk.getByRole('heading', { name: 'No one is waiting' })).toBeVisible();
  await expect(clerk.getByText('Live', { exact: true })).toBeVisible();

  const phone = await isolated.newPage({ browser: media, viewport: { width: 390, height: 844 } });
  await phone.context().grantPermissions(['camera', 'microphone']);
  await demoSignIn(phone, 'hanako');
  await phone.getByRole('link', { name: 'Talk to us' }).click();
  await expect(phone).toHaveURL('/customer/consult');
  await phone.getByLabel('What would you like to talk about?').fill('Cash for my mother');
  await phone.getByRole('button', { name: 'Ask for a consultation' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'Waiting for a member of staff' })).toBeVisible();

  // It reaches the clerk's open console without a reload.
  const waiting = clerk.getByRole('article', { name: 'Hanako Yamada' });
  await expect(waiting).toContainText('Cash for my mother');
  await waiting.getByRole('button', { name: 'Take this consultation' }).click();
  const talking = clerk.getByRole('article', { name: 'Talking with Hanako Yamada' });
  await expect(talking).toBeVisible();
  await expect(phone.getByRole('status').filter({ hasText: 'You are talking with Sato Kenji' })).toBeVisible();
  const takenAt = Date.now();

  // Each side sees and hears the other: frames keep arriving on both.
  await expectRemoteVideo(phone);
  console.log(`consultation video: first remote frames on the phone ${Date.now() - takenAt} ms after the clerk took it`);
  await expectRemoteVideo(clerk);

  // Chat both ways, each line on both screens.
  await talking.getByLabel('Message').fill('Hello, how can I help?');
  await talking.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(phone.getByRole('listitem').filter({ hasText: 'Hello, how can I help?' })).toContainText('Sato Kenji');
  await phone.getByLabel('Message').fill('I would like to take out cash for my mother.');
  await phone.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(talking.getByRole('listitem').filter({ hasText: 'I would like to take out cash' })).toContainText('Hanako Yamada');
  await phone.screenshot({ path: test.info().outputPath('phone-consultation.png'), fullPage: true });
  await clerk.screenshot({ path: test.info().outputPath('clerk-console.png'), fullPage: true });

  await phone.getByRole('button', { name: 'End the consultation' }).click();
  await expect(phone.getByRole('status').filter({ hasText: 'The consultation has ended.' })).toBeVisible();
  await expect(clerk.getByRole('heading', { name: 'No one is waiting' })).toBeVisible();
  await media.close();
});
