// The `anshin` server the tests run against: where its binary and the built
// pages are, and a way to start a private one (own port, own SQLite file,
// demo data) for tests that need fresh personas or other settings.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = process.env.ANSHIN_BIN ?? join(ROOT, 'target/debug/anshin');
export const DIST = join(ROOT, 'dist');

/** The command line every test server shares: demo data, generous sign-in limits. */
export function serveCommand(port: number, dbUrl: string, extra: string[] = []): string[] {
  return [
    'serve', '--listen', `127.0.0.1:${port}`, '--dist', DIST, '--database-url', dbUrl,
    '--demo', '--sign-in-per-minute', '1000', ...extra,
  ];
}

export type PrivateServer = { origin: string; stop(): Promise<void> };

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => done(port));
    });
  });
}

async function healthy(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`anshin exited with ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('anshin did not become healthy in 30 s');
}

/** Starts a server of its own with a fresh database; `extra` adds flags. */
export async function startServer(extra: string[] = []): Promise<PrivateServer> {
  const port = await freePort();
  const db = join(mkdtempSync(join(tmpdir(), 'anshin-own-')), 'own.db');
  const child = spawn(BIN, serveCommand(port, `sqlite://${db}?mode=rwc`, extra), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  try {
    await healthy(port, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    // localhost, not 127.0.0.1: WebAuthn needs a domain as relying-party id.
    origin: `http://localhost:${port}`,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
