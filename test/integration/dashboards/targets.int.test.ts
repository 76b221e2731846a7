import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import type { Config } from '../../../infra/config.ts';
import { recordDefinitions } from '../../../metrics/answer/definitions.ts';
import { CATALOG } from '../../../metrics/catalog.ts';
import { CLAUSES } from '../../../metrics/standards/clauses.ts';
import type {
  MetricCatalog,
  Overview,
  Standards,
  TargetHistory,
  TargetSetInfo,
} from '../../../dashboards/wire.ts';
import { TOKENS } from '../../helpers/dashboard.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * Targets managed in the product, over HTTP: everyone reads the set, only admins save it (by token, or
 * by a session cookie from this site), each save is a version with who and when, a stale `if_version` is
 * a conflict, a bad body is a 400 naming the field; a saved change shows on the next catalog as a
 * definition change of the KPIs it touched, and a changed KPI definition is recorded at start-up.
 */

let rt: Runtime;
let cfg: Config;
let base: string;

beforeAll(async () => {
  cfg = testConfig(
    testEnv({
      CXPULSE_TIMEZONE: 'Asia/Shanghai',
      CXPULSE_API_TOKENS: Object.entries(TOKENS)
        .map(([role, t]) => `${t}=${role}`)
        .join(','),
      ROLLUP_REFRESH_SCHEDULE: 'off',
    }),
  );
  rt = new Runtime(cfg);
  const server = await rt.startServer({ collector: false, tokens: [], api: { tokens: cfg.http.apiTokens } });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);
afterAll(() => rt?.close());

const bearer = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });
/** The caller id the API records: the first 8 hex digits of the token's SHA-256 (written out here). */
const callerId = (role: keyof typeof TOKENS) =>
  createHash('sha256').update(TOKENS[role]).digest('hex').slice(0, 8);

async function call<T>(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as T & { error?: { code: string; message: string } },
  };
}

const current = async () => (await call<TargetSetInfo>('GET', '/api/v1/targets', bearer('viewer'))).body;
const catalog = async () => (await call<MetricCatalog>('GET', '/api/v1/metrics', bearer('viewer'))).body;

/** The standards' targets as docs/metrics.md's clause table lists them: one per clause, id `<metric>:<clause>`. */
const clauseIds = CLAUSES.map((c) => `${c.target.metric}:${c.id}`).sort();

describe('GET /api/v1/targets before any edit', () => {
  it('is the configuration: version 1 by no one, every clause of the standards', async () => {
    const set = await current();
    expect(set.version).toBe(1);
    expect(set.changed_by).toBeNull();
    expect(set.changed_at).toBeNull();
    expect(set.baseline).toBeNull();
    const ids = set.targets.map((t) => t.id);
    // every clause's target, and besides them only the KPIs' own headline targets of the catalog
    expect(ids.filter((id) => !id.endsWith(':headline')).sort()).toEqual(clauseIds);
    for (const id of ids.filter((x) => x.endsWith(':headline')))
      expect(CATALOG.find((m) => `${m.name}:headline` === id)?.target, id).toBeDefined();
    const csat = set.targets.find((t) => t.id === 'csat:S004-6');
    expect(csat).toMatchObject({ kind: 'sustained', value: 95, months: 3, per: 'agent_id' });
    const history = (await call<TargetHistory>('GET', '/api/v1/targets/history', bearer('viewer'))).body;
    expect(history.versions.map((v) => v.version)).toEqual([1]);
  });

  it('every KPI starts at definition version 1 with no change to mark', async () => {
    const c = await catalog();
    for (const m of c.metrics) {
      expect(m.definition_version, m.name).toBe(1);
      expect(m.definition_changes, m.name).toEqual([]);
    }
  });
});

describe('PUT /api/v1/targets', () => {
  it('refuses viewers, analysts and editors (403) and leaves the set alone', async () => {
    const set = await current();
    for (const role of ['viewer', 'analyst', 'editor'] as const) {
      const res = await call('PUT', '/api/v1/targets', bearer(role), { if_version: 1, targets: set.targets });
      expect(res.status, role).toBe(403);
      expect(res.body.error?.code).toBe('forbidden');
    }
    expect((await current()).version).toBe(1);
  });

  it('refuses a bad body with a 400 naming the field', async () => {
    const { targets } = await current();
    const at = (i: number, patch: Record<string, unknown>) =>
      targets.map((t, j) => (j === i ? { ...t, ...patch } : t));
    const sustained = targets.findIndex((t) => t.kind === 'sustained');
    const absolutePercent = targets.findIndex((t) => t.id === 'csat:S000-2');
    const cases: [unknown, string][] = [
      [{ targets }, 'if_version'],
      [{ if_version: 1 }, 'targets'],
      [{ if_version: 1, targets: at(0, { metric: 'happiness' }) }, 'targets[0].metric'],
      [{ if_version: 1, targets: at(0, { kind: 'someday' }) }, 'targets[0].kind'],
      [{ if_version: 1, targets: at(sustained, { months: undefined }) }, `targets[${sustained}].months`],
      [{ if_version: 1, targets: at(sustained, { per: 'shoe_size' }) }, `targets[${sustained}].per`],
      [{ if_version: 1, targets: at(absolutePercent, { months: 3 }) }, `targets[${absolutePercent}].months`],
      [{ if_version: 1, targets: at(absolutePercent, { value: 140 }) }, `targets[${absolutePercent}].value`],
      [{ if_version: 1, targets: at(0, { scope: { colour: ['red'] } }) }, 'targets[0].scope.colour'],
      [{ if_version: 1, targets: at(0, { clause: 'S009-9' }) }, 'targets[0].clause'],
      [{ if_version: 1, targets: [...targets, targets[3]] }, `targets[${targets.length}].id`],
      [{ if_version: 1, targets, baseline: { from: '2026-02-30', to: '2026-03-31' } }, 'baseline.from'],
      [{ if_version: 1, targets, baseline: { from: '2026-04-01', to: '2026-03-31' } }, 'baseline.to'],
      [{ if_version: 1, targets, colour: 'red' }, 'colour'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await call('PUT', '/api/v1/targets', bearer('admin'), body);
      expect(res.status, field).toBe(400);
      expect(res.body.error?.code, field).toBe('bad_parameter');
      expect(res.body.error?.message.startsWith(`${field}: `), `${field}: ${res.body.error?.message}`).toBe(
        true,
      );
    }
    expect((await current()).version).toBe(1);
  });

  let savedAt: { from: number; to: number };
  it("versions an admin's edit with who and when: version 2, shown by GET and the history", async () => {
    const { targets } = await current();
    const edited = targets.map((t) => (t.id === 'csat:S000-2' ? { ...t, value: 91 } : t));
    const from = Date.now();
    const res = await call<TargetSetInfo>('PUT', '/api/v1/targets', bearer('admin'), {
      if_version: 1,
      targets: edited,
      comment: '000 §1.3.1 read again',
    });
    savedAt = { from, to: Date.now() };
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
    const set = await current();
    expect(set.version).toBe(2);
    expect(set.changed_by).toBe(callerId('admin'));
    const when = Date.parse(set.changed_at as string);
    expect(when).toBeGreaterThanOrEqual(savedAt.from);
    expect(when).toBeLessThanOrEqual(savedAt.to);
    expect(set.comment).toBe('000 §1.3.1 read again');
    expect(set.targets.find((t) => t.id === 'csat:S000-2')?.value).toBe(91);
    expect(set.targets).toHaveLength(targets.length);
    const history = (await call<TargetHistory>('GET', '/api/v1/targets/history', bearer('viewer'))).body;
    expect(history.versions.map((v) => [v.version, v.changed_by])).toEqual([
      [2, callerId('admin')],
      [1, null],
    ]);
  });

  it('refuses an edit of an older version (409) and keeps the newer one', async () => {
    const { targets } = await current();
    const res = await call('PUT', '/api/v1/targets', bearer('admin'), { if_version: 1, targets });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('conflict');
    expect(res.body.error?.message).toMatch(/^if_version: /);
    expect((await current()).version).toBe(2);
  });

  it('shows the edited KPI on the next catalog as a definition change, and no other', async () => {
    const c = await catalog();
    const csat = c.metrics.find((m) => m.name === 'csat');
    expect(csat?.definition_version).toBe(2);
    expect(csat?.definition_changes).toHaveLength(1);
    expect(csat?.definition_changes[0]?.what).toBe('targets');
    const at = Date.parse(csat?.definition_changes[0]?.at as string);
    expect(at).toBeGreaterThanOrEqual(savedAt.from);
    expect(at).toBeLessThanOrEqual(savedAt.to);
    for (const m of c.metrics.filter((x) => x.name !== 'csat'))
      expect(m.definition_changes, m.name).toEqual([]);
  });

  it('judges by the edited target everywhere: catalog, metric rows, overview tile, scorecard clause', async () => {
    const c = await catalog();
    expect(c.metrics.find((m) => m.name === 'csat')?.target?.value).toBe(91);
    const q = 'from=2026-03-01&to=2026-03-31';
    const rows = (
      await call<{ rows: { target: number | null }[] }>(
        'GET',
        `/api/v1/metrics/csat?${q}&grain=total`,
        bearer('viewer'),
      )
    ).body.rows;
    for (const r of rows) expect(r.target).toBe(91);
    const o = (await call<Overview>('GET', `/api/v1/overview?${q}`, bearer('viewer'))).body;
    expect(o.tiles.find((t) => t.metric === 'csat')?.current.target).toBe(91);
    const s = (await call<Standards>('GET', `/api/v1/standards?${q}`, bearer('viewer'))).body;
    expect(s.rows.find((r) => r.id === 'S000-2')?.target?.value).toBe(91);
    expect(s.rows.find((r) => r.id === 'S001-1')?.target?.value).toBe(92);
  });

  it('marks a new baseline on the KPIs with relative targets; the set keeps it', async () => {
    const { targets } = await current();
    const relative = [...new Set(targets.filter((t) => t.kind === 'relative').map((t) => t.metric))].sort();
    expect(relative.length).toBeGreaterThan(0);
    const baseline = { from: '2025-10-01', to: '2025-12-31' };
    const res = await call<TargetSetInfo>('PUT', '/api/v1/targets', bearer('admin'), {
      if_version: 2,
      targets,
      baseline,
    });
    expect(res.status).toBe(200);
    expect((await current()).baseline).toEqual(baseline);
    const c = await catalog();
    const marked = c.metrics
      .filter((m) => m.definition_changes.some((d) => d.what === 'baseline'))
      .map((m) => m.name)
      .sort();
    expect(marked).toEqual(relative);
    // an edit that leaves the baseline out keeps it
    const again = await call<TargetSetInfo>('PUT', '/api/v1/targets', bearer('admin'), {
      if_version: 3,
      targets,
    });
    expect(again.body.baseline).toEqual(baseline);
  });

  it('takes a session-cookie write from this site only', async () => {
    const signin = await fetch(`${base}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ token: TOKENS.admin, next: '/targets' }),
    });
    const cookie = (signin.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { version, targets } = await current();
    const body = { if_version: version, targets };
    const foreign = await call('PUT', '/api/v1/targets', { cookie, origin: 'https://evil.example' }, body);
    expect(foreign.status).toBe(403);
    const own = await call<TargetSetInfo>('PUT', '/api/v1/targets', { cookie, origin: base }, body);
    expect(own.status).toBe(200);
    expect(own.body.version).toBe(version + 1);
  });
});

describe('KPI definition versions', () => {
  it('records a changed catalog definition at start-up with its date, once', async () => {
    const ch = await rt.clickhouseUp();
    const changed = CATALOG.map((m) => (m.name === 'fcr' ? { ...m, sql: { ...m.sql, where: '1' } } : m));
    const from = Date.now();
    expect(await recordDefinitions(ch, cfg, changed)).toEqual(['fcr']);
    expect(await recordDefinitions(ch, cfg, changed)).toEqual([]);
    const fcr = (await catalog()).metrics.find((m) => m.name === 'fcr');
    expect(fcr?.definition_changes.map((d) => d.what)).toEqual(['definition']);
    expect(Date.parse(fcr?.definition_changes[0]?.at as string)).toBeGreaterThanOrEqual(from);
    expect(fcr?.definition_version).toBe(2);
    // the catalog as it is: back to the first fingerprint, a change again
    expect(await recordDefinitions(ch, cfg)).toEqual(['fcr']);
  });
});
