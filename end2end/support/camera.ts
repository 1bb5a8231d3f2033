// Fake cameras. One films a QR code: the text is drawn with `qrencode`,
// turned into a short .y4m video with `ffmpeg`, and a Chromium launched with
// these flags plays it to getUserMedia as if it were a real camera. Another
// gives Chromium's own synthetic camera and microphone, for video calls.
import { chromium, type Browser } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';

/** Writes a 640×480 video of `text` as a QR code and returns its path. */
export function makeQrVideo(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anshin-qr-'));
  const png = join(dir, 'qr.png');
  const video = join(dir, 'qr.y4m');
  execFileSync('qrencode', ['-s', '10', '-m', '4', '-o', png, text]);
  execFileSync('ffmpeg', [
    '-loglevel', 'error', '-y', '-loop', '1', '-i', png,
    '-vf', 'scale=400:400:flags=neighbor,pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p',
    '-t', '2', '-r', '10', video,
  ]);
  return video;
}

/** Chromium flags that turn `video` into the camera (and accept the permission prompt). */
export function fakeCameraArgs(video: string): string[] {
  return [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${video}`,
  ];
}

/** A separate browser whose camera films `video`; camera flags are per browser, not per context. */
export async function launchWithCamera(video: string): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...fakeCameraArgs(video)] });
}

/** A 640×480 video of an image (such as a screenshot of the QR a phone shows). */
export function videoOfImage(png: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anshin-shot-'));
  const video = join(dir, 'shot.y4m');
  execFileSync('ffmpeg', [
    '-loglevel', 'error', '-y', '-loop', '1', '-i', png,
    '-vf', 'scale=400:400:flags=neighbor,pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p',
    '-t', '2', '-r', '10', video,
  ]);
  return video;
}

/** A separate browser whose camera and microphone are Chromium's synthetic ones (a test pattern and a tone). */
export async function launchWithFakeMedia(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
}
