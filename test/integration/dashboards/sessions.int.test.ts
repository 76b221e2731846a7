import { createHash, createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { testConfig, testEnv, rand } from '../../helpers/env.ts';
import { TOKENS } from '../../helpers/dashboard.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Browser sessions against the real app and engine: cross-site writes with the session cookie are
 * refused by Origin/Referer (bearer clients are not affected); sign-out revokes the session in
 * ClickHouse so a replayed cookie is refused by another server and after a restart; the cookie is
 * `Secure` behind a TLS proxy only when the proxy is trusted; failed bearer tokens are limited per
 * address and token prefix; malformed cookies are 401, never 500.
 */

const DB = `cxtest_${rand()}`;
const ENV = {
  CLICKHOUSE_DATABASE: DB,
  CXPULSE_API_TOKENS: Object.entries(TOKENS)
    .map(([role, t]) => `${t}=${role}`)
    .join(','),
  ROLLUP_REFRESH_SCHEDULE: 'off',
  REPORTS_SCHEDULER: 'false',
  HTTP_ALLOWED_ORIGINS: 'https://cx.example.com',
  AUTH_FAILED_TOKEN_LIMIT: '5',
  SESSION_REVOCATION_REFRESH_SECONDS: '1',
};
const runtimes: Runtime[] = [];

/** A server on the shared store, as `cxpulse serve` would start it. */
async function server(env: Record<string, string> = {}): Promise<{ rt: Runtime; base: string }> {
  const cfg = testConfig(testEnv({ ...ENV, ...env }));
  const rt = new Runtime(cfg);
  runtimes.push(rt);
  const s = await rt.startServer({ collector: false, tokens: [], api: { tokens: cfg.http.apiTokens } });
  return { rt, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

let a: string; // trust proxy off
let b: string; // trust proxy on (loopback)

beforeAll(async () => {
  ({ base: a } = await server());
  ({ base: b } = await server({ HTTP_TRUST_PROXY: 'loopback' }));
}, 240_000);
afterAll(async () => {
  for (const rt of runtimes.reverse()) await rt.close();
});

async function signIn(base: string, role: keyof typeof TOKENS, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token: TOKENS[role], next: '/overview' }),
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { setCookie, cookie: setCookie.split(';')[0] as string };
}

/** A state-changing request: an analyst's read-only query, which answers 200. */
async function runSql(base: string, headers: Record<string, string>) {
  const res = await fetch(`${base}/api/v1/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ sql: 'SELECT 1 AS one', format: 'json' }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, body };
}

const get = async (url: string, headers: Record<string, string>) => {
  const res = await fetch(url, { headers, redirect: 'manual' });
  await res.arrayBuffer();
  return res;
};

describe('cross-site writes with the session cookie', () => {
  it('a cookie POST from a foreign Origin is 403 naming it; from this site it succeeds', async () => {
    const { cookie } = await signIn(a, 'analyst');
    const foreign = await runSql(a, { cookie, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error?.code).toBe('forbidden');
    expect(foreign.body.error?.message).toContain('https://evil.example');
    expect((await runSql(a, { cookie, origin: a })).status).toBe(200);
    // the configured origin and the public URL's are allowed too
    expect((await runSql(a, { cookie, origin: 'https://cx.example.com' })).status).toBe(200);
    expect((await runSql(a, { cookie, origin: 'http://localhost:8080' })).status).toBe(200);
    // a same-host origin on another port or scheme is another site
    expect((await runSql(a, { cookie, origin: a.replace(/:\d+$/, ':1') })).status).toBe(403);
    expect((await runSql(a, { cookie, origin: a.replace('http:', 'https:') })).status).toBe(403);
  });

  it('without Origin the Referer decides; with neither, or Origin: null, the write is refused', async () => {
    const { cookie } = await signIn(a, 'analyst');
    expect((await runSql(a, { cookie, referer: `${a}/sql?q=1` })).status).toBe(200);
    const viaReferer = await runSql(a, { cookie, referer: 'https://evil.example/page' });
    expect(viaReferer.status).toBe(403);
    expect(viaReferer.body.error?.message).toContain('https://evil.example');
    const none = await runSql(a, { cookie });
    expect(none.status).toBe(403);
    expect(none.body.error?.message).toMatch(/Origin or Referer/);
    expect((await runSql(a, { cookie, origin: 'null' })).status).toBe(403);
    // reads are not refused: a GET changes nothing
    expect((await get(`${a}/api/v1/metrics`, { cookie, origin: 'https://evil.example' })).status).toBe(200);
  });

  it('bearer-token requests are unaffected: no Origin, or a foreign one, still works', async () => {
    const authorization = `Bearer ${TOKENS.analyst}`;
    expect((await runSql(a, { authorization })).status).toBe(200);
    expect((await runSql(a, { authorization, origin: 'https://evil.example' })).status).toBe(200);
  });

  it('a cross-site sign-out is refused and leaves the session working', async () => {
    const { cookie } = await signIn(a, 'analyst');
    const res = await fetch(`${a}/signout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect((await runSql(a, { cookie, origin: a })).status).toBe(200);
  });
});

describe('sign-out revokes the session', () => {
  it('a replayed cookie is 401 after sign-out: here, on another server within a refresh, and after a restart', async () => {
    const { cookie } = await signIn(a, 'analyst');
    // the cookie works on both servers (same tokens, same store) before sign-out
    expect((await get(`${a}/api/v1/metrics`, { cookie })).status).toBe(200);
    expect((await get(`${b}/api/v1/metrics`, { cookie })).status).toBe(200);
    const out = await fetch(`${a}/signout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: a },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/cxpulse_session=;.*Expires=Thu, 01 Jan 1970/);
    // the browser forgot it; a copy of the cookie is refused
    expect((await get(`${a}/api/v1/metrics`, { cookie })).status).toBe(401);
    expect((await runSql(a, { cookie, origin: a })).status).toBe(401);
    expect((await get(`${a}/overview`, { cookie })).status).toBe(302);
    // server b learns it from the store within its refresh (1 s here)
    await waitFor(
      'server b to refuse the signed-out cookie',
      async () => (await get(`${b}/api/v1/metrics`, { cookie })).status,
      (status) => status === 401,
      { timeoutMs: 30_000 },
    );
    // a server started afterwards (a restart) reads it from the store before answering
    const { base: c } = await server();
    expect((await get(`${c}/api/v1/metrics`, { cookie })).status).toBe(401);
    // ... while a session that was not signed out still works there
    const other = await signIn(a, 'viewer');
    expect((await get(`${c}/api/v1/metrics`, { cookie: other.cookie })).status).toBe(200);
  });
});

describe('Secure cookies behind a TLS proxy', () => {
  it('the cookie is Secure for X-Forwarded-Proto: https only when the proxy is trusted', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const trusted = await signIn(b, 'viewer', https);
    expect(trusted.setCookie).toMatch(/;\s*Secure/i);
    expect(trusted.setCookie).toMatch(/HttpOnly/i);
    expect(trusted.setCookie).toMatch(/SameSite=Strict/i);
    expect((await signIn(b, 'viewer')).setCookie).not.toMatch(/Secure/i);
    // not trusted: the header is anyone's to send
    const untrusted = await signIn(a, 'viewer', https);
    expect(untrusted.setCookie).not.toMatch(/Secure/i);
    expect(untrusted.setCookie).toMatch(/HttpOnly/i);
  });

  it('behind the trusted proxy the own origin is the one the browser used (https)', async () => {
    const { cookie } = await signIn(b, 'analyst', { 'x-forwarded-proto': 'https' });
    const host = new URL(b).host;
    const proto = { cookie, 'x-forwarded-proto': 'https' };
    expect((await runSql(b, { ...proto, origin: `https://${host}` })).status).toBe(200);
    expect((await runSql(b, { ...proto, origin: `http://${host}` })).status).toBe(403);
  });
});

describe('failed bearer tokens', () => {
  it('N failures from one address and prefix → 429 with Retry-After; a valid token from the address still works', async () => {
    const wrong = (i: number) => ({ authorization: `Bearer guessing-${i}-0123456789abcdef` });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(`${a}/api/v1/metrics`, wrong(i))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await fetch(`${a}/api/v1/metrics`, { headers: wrong(5) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // other users behind the same address are not locked out
    expect((await get(`${a}/api/v1/metrics`, { authorization: `Bearer ${TOKENS.viewer}` })).status).toBe(200);
    expect((await runSql(a, { authorization: `Bearer ${TOKENS.analyst}` })).status).toBe(200);
    // a wrong token with another prefix is still an ordinary 401
    expect(
      (await get(`${a}/api/v1/metrics`, { authorization: 'Bearer other-prefix-0123456789' })).status,
    ).toBe(401);
  });

  it('the blocked prefix is blocked for its address only, valid tokens with it included', async () => {
    // server b trusts the loopback proxy, so X-Forwarded-For is the client address
    const from = (ip: string, token: string) => ({ 'x-forwarded-for': ip, authorization: `Bearer ${token}` });
    for (let i = 0; i < 5; i++) {
      expect(
        (await get(`${b}/api/v1/metrics`, from('203.0.113.9', `analyst-wrong-${i}-0123456789`))).status,
      ).toBe(401);
    }
    const blocked = await get(`${b}/api/v1/metrics`, from('203.0.113.9', TOKENS.analyst));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await get(`${b}/api/v1/metrics`, from('203.0.113.10', TOKENS.analyst))).status).toBe(200);
    expect((await get(`${b}/api/v1/metrics`, from('203.0.113.9', TOKENS.viewer))).status).toBe(200);
  });
});

/** The key the server signs sessions with (auth.ts), to sign payloads that are not sessions. */
function sign(payload: string): string {
  const key = createHash('sha256')
    .update('cxpulse-session-v2')
    .update(JSON.stringify(Object.entries(TOKENS).map(([role, t]) => [t, role])))
    .digest();
  return createHmac('sha256', key).update(payload).digest('base64url');
}
const signed = (json: string) => {
  const p = Buffer.from(json).toString('base64url');
  return `cxpulse_session=${p}.${sign(p)}`;
};

describe('malformed cookies', () => {
  it('are 401 (API) or a redirect to sign-in (pages), never a 500', async () => {
    const fp = createHash('sha256').update(TOKENS.viewer).digest('hex').slice(0, 8);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    // the test's signing key is the server's: a well-formed session signed with it is accepted
    const good = signed(JSON.stringify({ r: 'viewer', i: fp, s: 'abcdefghijklmnopqrstuv', e: exp }));
    expect((await get(`${a}/api/v1/metrics`, { cookie: good })).status).toBe(200);
    const bad = [
      'cxpulse_session=%E0%A4%A', // decodeURIComponent throws URIError
      'cxpulse_session=abc%ZZ.def',
      'cxpulse_session=!!!not-base64!!!.@@@',
      'cxpulse_session=a.b.c',
      'cxpulse_session=.',
      'cxpulse_session=',
      `cxpulse_session=${'A'.repeat(8000)}.${'B'.repeat(43)}`, // huge
      signed('not json'),
      signed('null'),
      signed('[1,2]'),
      signed('"viewer"'),
      signed(JSON.stringify({ r: 'viewer', i: fp, e: exp })), // no session id
      signed(JSON.stringify({ r: 'root', i: fp, s: 'abcdefghijklmnopqrstuv', e: exp })),
      signed(JSON.stringify({ r: 'viewer', i: fp, s: 'abcdefghijklmnopqrstuv', e: 'soon' })),
    ];
    for (const cookie of bad) {
      const api = await get(`${a}/api/v1/metrics`, { cookie });
      expect(api.status, cookie.slice(0, 60)).toBe(401);
      const write = await runSql(a, { cookie, origin: a });
      expect(write.status, cookie.slice(0, 60)).toBe(401);
      const page = await get(`${a}/overview`, { cookie });
      expect(page.status, cookie.slice(0, 60)).toBe(302);
      const out = await fetch(`${a}/signout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
      expect(out.status, cookie.slice(0, 60)).toBe(303);
    }
  });
});
