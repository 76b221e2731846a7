import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listen, listenError } from '../../../cli/listen.ts';
import {
  dataDirLockedMessage,
  findStoreHolder,
  parseProcLocks,
  parseStatusPid,
} from '../../../infra/store-lock.ts';

const errno = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('HTTP listen errors', () => {
  it('a taken port names the port and host and says what to do, on one line', () => {
    const e = listenError(errno('EADDRINUSE'), '127.0.0.1', 8080);
    expect(e.code).toBe('port_in_use');
    expect(e.message).toBe(
      'HTTP port 8080 on 127.0.0.1 is in use by another program: stop it or set HTTP_PORT',
    );
    expect(e.details).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('a privileged port, an address not of this machine and anything else each get their own line', () => {
    const denied = listenError(errno('EACCES'), '0.0.0.0', 80);
    expect(denied.code).toBe('port_denied');
    expect(denied.message).toMatch(/^HTTP port 80 on 0\.0\.0\.0 .*set HTTP_PORT/);
    const host = listenError(errno('EADDRNOTAVAIL'), '10.9.9.9', 8080);
    expect(host.code).toBe('config_invalid');
    expect(host.message).toMatch(/HTTP_HOST 10\.9\.9\.9 .*set HTTP_HOST/);
    const other = listenError(errno('EMFILE'), '127.0.0.1', 8080);
    expect(other.code).toBe('internal');
    expect(other.message).toMatch(/HTTP port 8080 on 127\.0\.0\.1: listen EMFILE/);
    for (const e of [denied, host, other]) expect(e.message).not.toContain('\n');
  });

  it('listen() rejects on a port another server holds, and listens on a free one', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await listen(() => undefined, port, '127.0.0.1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'port_in_use', details: { port } });
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    const server = await listen(() => undefined, 0, '127.0.0.1');
    expect((server.address() as net.AddressInfo).port).toBeGreaterThan(0);
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('embedded store lock', () => {
  it("reads the holder's PID from the engine's status file", () => {
    expect(parseStatusPid('PID: 5926\nStarted at: 2026-11-29 09:16:03\nRevision: 54513\n')).toBe(5926);
    expect(parseStatusPid('Started at: 2026-11-29\n')).toBeUndefined();
    expect(parseStatusPid('PID: abc\n')).toBeUndefined();
    expect(parseStatusPid('')).toBeUndefined();
  });

  it('finds the PIDs holding a lock on one file in /proc/locks, skipping waiters and other files', () => {
    const locks = [
      '1: FLOCK  ADVISORY  WRITE 5926 fe:00:9986759 0 EOF',
      '1: -> FLOCK  ADVISORY  WRITE 7777 fe:00:9986759 0 EOF',
      '2: POSIX  ADVISORY  WRITE 4242 fe:00:123 0 EOF',
      '3: FLOCK  ADVISORY  WRITE 3131 103:02:9986759 0 EOF',
      '',
    ].join('\n');
    // st_dev 0xfe00 is device fe:00
    expect(parseProcLocks(locks, 0xfe00, 9986759)).toEqual([5926]);
    expect(parseProcLocks(locks, 0xfe00, 123)).toEqual([4242]);
    // major 0x103, minor 2
    expect(parseProcLocks(locks, (0x103 << 8) | 2, 9986759)).toEqual([3131]);
    expect(parseProcLocks(locks, 0xfe00, 1)).toEqual([]);
  });

  it('names the directory, the process and what to do, on one line', () => {
    const msg = dataDirLockedMessage('/srv/cx/chdb', { pid: 1234, command: 'node bin/cxpulse.mjs start' });
    expect(msg).toBe(
      'data directory /srv/cx/chdb is in use by process 1234 (node bin/cxpulse.mjs start): ' +
        'stop it, or set CXPULSE_DATA_DIR to another directory',
    );
    expect(dataDirLockedMessage('/d', { pid: 0 })).toMatch(
      /^data directory \/d is in use by another process: /,
    );
    expect(dataDirLockedMessage('/d', { pid: 9 })).toMatch(
      /^data directory \/d is in use by process 9: stop it/,
    );
  });

  const tmp = mkdtempSync(path.join(tmpdir(), 'cxpulse-lock-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a status file nobody holds (left by a killed process) is not in the way', () => {
    expect(findStoreHolder(path.join(tmp, 'none'))).toBeUndefined();
    // this very process's PID, then one that is surely not alive: neither holds a lock
    writeFileSync(path.join(tmp, 'status'), `PID: ${process.pid}\nStarted at: x\n`);
    expect(findStoreHolder(tmp)).toBeUndefined();
    writeFileSync(path.join(tmp, 'status'), 'PID: 4194000\nStarted at: x\n');
    expect(findStoreHolder(tmp)).toBeUndefined();
    expect(findStoreHolder(tmp, true)).toBeUndefined();
  });
});
