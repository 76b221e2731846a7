/**
 * Start-up failures, as a person at a terminal meets them: real `cxpulse` processes against the run's
 * broker and the real engine. A port another program holds, a data directory another `cxpulse` holds,
 * a taken broker port and a missing Java each end the command with a non-zero exit and one plain line
 * (beside the structured log) that says what is wrong and what to do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../helpers/env.ts';
import { freePort } from '../../helpers/ports.ts';
import { waitFor } from '../../helpers/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'cxpulse.mjs');
/** Generous: two cores shared with other work, and `start` migrates and joins a group first. */
const EXIT_WITHIN_MS = 150_000;

interface Run {
  child: ChildProcess;
  /** stdout and stderr as they arrive */
  out: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'cxpulse-startup-'));
  dirs.push(d);
  return d;
}

function cxpulse(args: string[], env: Record<string, string>, drop: string[] = []): Run {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of drop) delete childEnv[k];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

/** The exit code, or a failure naming what the process said when it has not exited in time. */
async function exitCode(run: Run): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), EXIT_WITHIN_MS)));
  const code = await Promise.race([run.exit, late]);
  clearTimeout(timer);
  if (code === 'late') {
    run.child.kill('SIGKILL');
    throw new Error(`still running after ${EXIT_WITHIN_MS} ms; output:\n${run.out()}`);
  }
  return code;
}

/** What a person reads: every line that is not a structured (JSON) log line. */
function plainLines(out: string): string[] {
  return out.split('\n').filter((l) => l.trim().length > 0 && !l.startsWith('{'));
}

function holdPort(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

const closeServer = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** A process of the run's broker and its own store, with everything a long-running mode needs. */
function env(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return testEnv({
    CXPULSE_DATA_DIR: dir,
    CXPULSE_SAMPLE_DATA: 'false',
    REPORTS_SCHEDULER: 'false',
    ROLLUP_REFRESH_SCHEDULE: 'off',
    CXPULSE_INGEST_TOKENS: 'ingest-secret-token-0001',
    CXPULSE_API_TOKENS: 'api-secret-token-0001=admin',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(
    children.map((c) =>
      c.exitCode === null && c.signalCode === null
        ? new Promise<void>((r) => c.once('exit', () => r()))
        : undefined,
    ),
  );
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('an HTTP port another program holds', { timeout: 3 * EXIT_WITHIN_MS }, () => {
  it.each([['start', '--no-sample'], ['serve'], ['ingest']])(
    '`cxpulse %s` exits non-zero naming the port, never "listening"',
    async (...args: string[]) => {
      const blocker = await holdPort();
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const run = cxpulse(args, env(dataDir(), { HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' }));
        const code = await exitCode(run);
        const out = run.out();
        expect(code, out).not.toBe(0);
        expect(out).not.toContain('HTTP server listening');
        expect(plainLines(out)).toEqual([
          `cxpulse: HTTP port ${port} on 127.0.0.1 is in use by another program: stop it or set HTTP_PORT`,
        ]);
        expect(out).toContain('"code":"port_in_use"');
      } finally {
        await closeServer(blocker);
      }
    },
  );
});

describe('a data directory another cxpulse holds', { timeout: 4 * EXIT_WITHIN_MS }, () => {
  const dir = dataDir();
  let first: Run;
  let firstUrl: string;

  it('the first `cxpulse start` holds it and serves', async () => {
    first = cxpulse(['start', '--no-sample'], env(dir, { HTTP_PORT: '0' }));
    const listening = async () =>
      /"url":"(http:\/\/[^"]+)"[^\n]*HTTP server listening/.exec(first.out())?.[1];
    firstUrl = (await waitFor(
      'the first start listening',
      listening,
      (u) => u !== undefined || first.child.exitCode !== null,
      {
        timeoutMs: EXIT_WITHIN_MS,
      },
    )) as string;
    expect(firstUrl, first.out()).toBeTruthy();
  });

  it.each([['start', '--no-sample'], ['migrate'], ['query', 'SELECT 1'], ['scheduler']])(
    'a second `cxpulse %s` exits non-zero naming the first by pid and command line',
    async (...args: string[]) => {
      expect(firstUrl, 'the first start is up').toBeTruthy();
      // a port nobody answers on, so `query` turns to the store itself
      const run = cxpulse(args, env(dir, { HTTP_PORT: String(await freePort()) }));
      const code = await exitCode(run);
      const out = run.out();
      expect(code, out).not.toBe(0);
      expect(out).not.toContain('HTTP server listening');
      const lines = plainLines(out);
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toBe(
        `cxpulse: data directory ${path.join(dir, 'chdb')} is in use by process ${first.child.pid} ` +
          `(${process.execPath} ${BIN} start --no-sample): stop it, or set CXPULSE_DATA_DIR to another directory`,
      );
      expect(out).toContain('"code":"data_dir_locked"');
    },
  );

  it('the first is unharmed and stops cleanly', async () => {
    const res = await fetch(new URL('/healthz', firstUrl));
    expect(res.status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await exitCode(first)).toBe(0);
  });
});

describe('the local Kafka broker cannot start', { timeout: 3 * EXIT_WITHIN_MS }, () => {
  it('a taken broker port: `cxpulse start` exits non-zero naming the port and the keys to set', async () => {
    const blocker = await holdPort();
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = cxpulse(
        ['start', '--no-sample'],
        env(dataDir(), {
          HTTP_PORT: '0',
          KAFKA_LOCAL_PORT: String(port),
          KAFKA_LOCAL_CONTROLLER_PORT: String(await freePort()),
        }),
        ['KAFKA_BROKERS'],
      );
      const code = await exitCode(run);
      const out = run.out();
      expect(code, out).not.toBe(0);
      expect(out).not.toContain('HTTP server listening');
      const lines = plainLines(out);
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^cxpulse: cannot start the local Kafka broker: port ${port} on 127\\.0\\.0\\.1 \\(KAFKA_LOCAL_PORT\\) ` +
            `is already in use by another process\\. Stop that process or set KAFKA_LOCAL_PORT to a free port; ` +
            `if it is a Kafka broker you want to use, set KAFKA_BROKERS=127\\.0\\.0\\.1:${port}$`,
        ),
      );
      expect(out).toContain('"code":"port_in_use"');
    } finally {
      await closeServer(blocker);
    }
  });

  it('no Java: `cxpulse start` exits non-zero saying how to install it or what to set', async () => {
    const run = cxpulse(
      ['start', '--no-sample'],
      // node itself is started by its full path; PATH is an empty directory, so no `java`
      env(dataDir(), { HTTP_PORT: '0', PATH: dataDir() }),
      ['KAFKA_BROKERS', 'JAVA_HOME'],
    );
    const code = await exitCode(run);
    const out = run.out();
    expect(code, out).not.toBe(0);
    const lines = plainLines(out);
    expect(lines, out).toHaveLength(1);
    expect(lines[0]).toBe(
      'cxpulse: Java 17+ is required for the local Kafka broker, but `java` could not be run (ENOENT): ' +
        'apt-get install openjdk-17-jre-headless (or set JAVA_HOME), or set KAFKA_BROKERS to use an existing Kafka cluster',
    );
    expect(out).toContain('"code":"dependency_missing"');
  });
});
