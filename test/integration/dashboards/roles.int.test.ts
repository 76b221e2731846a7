import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import type { Role } from '../../../infra/config.ts';
import { PAGES } from '../../../dashboards/pages.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';

/**
 * The role matrix: every route, every role (and none), by bearer token and by the sign-in session.
 * Each role reaches exactly the routes of its level and above it gets 403; without credentials 401 (API)
 * or a redirect to the sign-in page (pages). Plus the security headers and the sign-in rate limit.
 */

let rt: Runtime;
let base: string;

beforeAll(async () => {
  ({ rt, base } = await dashboardServer());
}, 240_000);
afterAll(() => rt?.close());

type Who = Role | 'none';
const WHO: Who[] = ['none', 'viewer', 'analyst', 'editor', 'admin'];
const LEVEL: Record<Who, number> = { none: -1, viewer: 0, analyst: 1, editor: 2, admin: 3 };

const q = 'from=2026-01-01&to=2026-01-31';
const ROUTES: { method: 'GET' | 'POST'; path: string; role: Role; body?: unknown; ok: number }[] = [
  { method: 'GET', path: '/api/v1/metrics', role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/metrics/fcr?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/metrics/fcr/sql?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/overview?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/interactions?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/sla/heatmap?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/sla/breaching?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/complaints/funnel?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: `/api/v1/complaints/repeat?${q}`, role: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/v1/retention/drivers', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/v1/vocabulary', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/v1/changes', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/v1/sql/schema', role: 'analyst', ok: 200 },
  {
    method: 'POST',
    path: '/api/v1/sql',
    role: 'analyst',
    ok: 200,
    body: { sql: 'SELECT 1', format: 'json' },
  },
  {
    method: 'POST',
    path: '/api/v1/changes',
    role: 'editor',
    ok: 201,
    body: { title: 'role matrix', starts_at: '2026-01-10T00:00:00Z', scope: {} },
  },
];

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await res.arrayBuffer();
  return res;
}

async function sessionOf(role: Role): Promise<string> {
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKENS[role], next: '/overview' }),
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  return cookie.split(';')[0] as string;
}

describe('each role reaches exactly its routes', () => {
  const cases = ROUTES.flatMap((r) => WHO.map((who) => ({ ...r, who })));
  it.each(cases)('$method $path as $who (bearer)', async ({ method, path, role, ok, body, who }) => {
    const headers: Record<string, string> = who === 'none' ? {} : { authorization: `Bearer ${TOKENS[who]}` };
    const res = await call(method, path, headers, body);
    const want = who === 'none' ? 401 : LEVEL[who] >= LEVEL[role] ? ok : 403;
    expect(res.status).toBe(want);
  });

  it.each(WHO)('every page as %s (session cookie)', async (who) => {
    const cookie = who === 'none' ? '' : await sessionOf(who);
    for (const page of PAGES) {
      const res = await call('GET', page.path, cookie ? { cookie } : {});
      if (who === 'none') {
        expect(res.status, page.path).toBe(302);
        expect(res.headers.get('location'), page.path).toMatch(/^\/signin\?next=/);
      } else expect(res.status, page.path).toBe(LEVEL[who] >= LEVEL[page.role] ? 200 : 403);
    }
    // the API takes the session too, with the same role rules
    // (a write with the cookie must say it comes from this site: browsers send Origin on every POST)
    const post = await call(
      'POST',
      '/api/v1/changes',
      cookie ? { cookie, origin: base } : {},
      ROUTES.at(-1)!.body,
    );
    expect(post.status).toBe(who === 'none' ? 401 : LEVEL[who] >= LEVEL.editor ? 201 : 403);
  });

  it('a tampered or foreign session cookie is refused', async () => {
    const cookie = await sessionOf('viewer');
    const [name, value] = cookie.split('=') as [string, string];
    const [payload, mac] = value.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), r: 'admin' }),
    ).toString('base64url');
    for (const bad of [
      `${name}=${forged}.${mac}`,
      `${name}=${payload}.${mac.slice(0, -2)}xx`,
      `${name}=garbage`,
    ]) {
      expect((await call('GET', '/api/v1/metrics', { cookie: bad })).status).toBe(401);
      expect((await call('GET', '/overview', { cookie: bad })).status).toBe(302);
    }
  });
});

describe('security headers and sign-in', () => {
  it('pages carry a CSP without inline scripts or eval, and the usual hardening headers', async () => {
    const cookie = await sessionOf('viewer');
    const res = await fetch(`${base}/overview`, { headers: { cookie } });
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // same-origin, not no-referrer: under no-referrer the sign-out form POSTs `Origin: null`
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    // no inline script in the page: every <script> has a src
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
  });

  it('only same-site paths are followed after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil']) {
      const res = await fetch(`${base}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: TOKENS.viewer, next }),
      });
      expect(res.headers.get('location')).toBe('/overview');
    }
  });

  it('failed sign-ins are rate-limited: the 11th within 15 minutes gets 429, even with a good token', async () => {
    const attempt = (token: string) =>
      fetch(`${base}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test': 'rate' },
        body: new URLSearchParams({ token }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await attempt(`wrong-${i}`)).status);
    expect(statuses).toEqual(Array(10).fill(401));
    expect((await attempt('wrong-again')).status).toBe(429);
    expect((await attempt(TOKENS.viewer)).status).toBe(429);
  });
});
