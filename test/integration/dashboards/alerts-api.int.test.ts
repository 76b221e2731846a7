import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import type { AlertStore } from '../../../alerts/state/store.ts';
import type { AlertActionResult, AlertEventList, AlertList } from '../../../dashboards/wire.ts';
import { TOKENS } from '../../helpers/dashboard.ts';
import { alertsServer } from '../../helpers/alerts.ts';

/**
 * The alerts API over HTTP against the real engine: viewers read the rules, each group's state and the
 * history but cannot write; an editor's edit is the next version with who and when; an edit made on an
 * older version is a 409, a broken rule a 400 naming its place; a silence and an acknowledgement are
 * recorded with who and why, shown on the rule and listed in the history with the evaluator's
 * transitions and deliveries.
 */

let rt: Runtime;
let base: string;
let store: AlertStore;

beforeAll(async () => {
  ({ rt, base, store } = await alertsServer());
}, 240_000);
afterAll(() => rt?.close());

const bearer = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });
/** The caller id the API records: the first 8 hex digits of the token's SHA-256 (written out here). */
const callerId = (role: keyof typeof TOKENS) =>
  createHash('sha256').update(TOKENS[role]).digest('hex').slice(0, 8);

async function call<T>(method: string, path: string, role: keyof typeof TOKENS, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...bearer(role), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as T & { error?: { code: string; message: string; details?: unknown } },
  };
}
const list = async () => (await call<AlertList>('GET', '/api/v1/alerts', 'viewer')).body;
const path = (name: string) => `/api/v1/alerts/${encodeURIComponent(name)}`;

const newRule = {
  name: 'csat-chat',
  kind: 'kpi',
  metric: 'csat',
  filters: { channel: 'chat' },
  window: 'today',
  condition: { below: 80 },
  channels: ['managers'],
};

describe('reading the rules', () => {
  it('shows the file as version 1 by no one, the destinations without their addresses', async () => {
    const l = await list();
    expect(l.version).toBe(1);
    expect(l.changed_by).toBeNull();
    expect(l.rules.map((r) => r.name)).toEqual(['投诉回访-按组', 'csat-t1', 'ingester-down']);
    expect(l.channels).toEqual([
      { name: 'managers', kind: 'email' },
      { name: 'ops', kind: 'webhook' },
    ]);
    expect(JSON.stringify(l)).not.toContain('s3cret');
    expect(l.rules[0]!.by).toBe('team_id');
    expect(l.rules[0]!.states).toEqual([]);
  });
});

describe('writes', () => {
  it('are refused to a viewer and an analyst', async () => {
    for (const role of ['viewer', 'analyst'] as const) {
      expect((await call('POST', '/api/v1/alerts', role, { if_version: 1, rule: newRule })).status).toBe(403);
      expect((await call('PUT', path('csat-t1'), role, { if_version: 1, rule: newRule })).status).toBe(403);
      expect((await call('DELETE', `${path('csat-t1')}?if_version=1`, role)).status).toBe(403);
      expect((await call('POST', `${path('csat-t1')}/silence`, role, { until: 'x', why: 'y' })).status).toBe(
        403,
      );
      expect((await call('POST', `${path('csat-t1')}/acknowledge`, role, { why: 'y' })).status).toBe(403);
    }
    expect((await list()).version).toBe(1);
  });

  it('an editor adds a rule as version 2, with who and when', async () => {
    const before = Date.now();
    const r = await call<{ version: number }>('POST', '/api/v1/alerts', 'editor', {
      if_version: 1,
      rule: newRule,
      comment: 'chat CSAT',
    });
    expect(r.status).toBe(201);
    const l = await list();
    expect(l.version).toBe(2);
    expect(l.changed_by).toBe(callerId('editor'));
    expect(Date.parse(l.changed_at!)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(l.changed_at!)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(l.comment).toBe('chat CSAT');
    expect(l.rules.map((x) => x.name)).toEqual(['投诉回访-按组', 'csat-t1', 'ingester-down', 'csat-chat']);
    expect(l.versions.map((v) => [v.version, v.changed_by, v.rules])).toEqual([
      [2, callerId('editor'), 4],
      [1, null, 3],
    ]);
  });

  it('an edit of an older version is a 409 and changes nothing', async () => {
    const r = await call('PUT', path('csat-chat'), 'editor', { if_version: 1, rule: newRule });
    expect(r.status).toBe(409);
    expect(r.body.error?.message).toContain('version 2');
    expect((await list()).version).toBe(2);
  });

  it('a broken rule is a 400 naming its place in the document', async () => {
    const text =
      'name: csat-chat\nkind: kpi\nmetric: csat\nwindow: yesterday\ncondition: {below: 80}\nchannels: [nowhere]\n';
    const r = await call('PUT', path('csat-chat'), 'editor', { if_version: 2, text });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('alert_invalid');
    // csat-chat is the 4th rule of the document
    expect(r.body.error?.message).toContain('alerts[3].window');
    const nowhere = await call('PUT', path('csat-chat'), 'editor', {
      if_version: 2,
      text: text.replace('yesterday', 'today'),
    });
    expect(nowhere.status).toBe(400);
    expect(nowhere.body.error?.message).toContain('alerts[3].channels[0]: nowhere is not a destination');
    const dup = await call('POST', '/api/v1/alerts', 'editor', { if_version: 2, rule: { ...newRule } });
    expect(dup.status).toBe(400);
    expect(dup.body.error?.message).toContain('alerts[4].name');
    expect((await list()).version).toBe(2);
  });

  it('replaces a rule from YAML text and deletes one, each a version', async () => {
    const text =
      'name: csat-chat\nkind: kpi\nmetric: csat\nwindow: last_24h\ncondition: {below: 75}\nchannels: [ops]\n';
    expect((await call('PUT', path('csat-chat'), 'editor', { if_version: 2, text })).status).toBe(200);
    let l = await list();
    expect(l.version).toBe(3);
    expect(l.rules.find((r) => r.name === 'csat-chat')?.source).toMatchObject({
      window: 'last_24h',
      condition: { below: 75 },
    });
    expect((await call('DELETE', `${path('csat-chat')}?if_version=3`, 'editor')).status).toBe(200);
    l = await list();
    expect(l.version).toBe(4);
    expect(l.rules.map((r) => r.name)).not.toContain('csat-chat');
    expect((await call('DELETE', `${path('csat-chat')}?if_version=4`, 'editor')).status).toBe(404);
  });
});

describe('silences, acknowledgements and the history', () => {
  const rule = '投诉回访-按组';
  const timing = { forMs: 0, repeatMs: 3_600_000 };

  it('shows the evaluator’s state per group; an editor’s silence is recorded with who, why and until', async () => {
    // what the evaluator would do: team t1 fires, t2 is fine; one delivery recorded
    const t0 = new Date(Date.now() - 60_000);
    await store.advance(rule, 't1', { value: 71.5, n: 40, condition: true }, timing, t0);
    await store.advance(rule, 't2', { value: 93, n: 52, condition: false }, timing, t0);
    await store.record([
      {
        rule,
        group: 't1',
        seq: 1,
        at: t0,
        what: 'delivery',
        channel: 'managers',
        result: 'sent',
        attempt: 1,
      },
    ]);
    let info = (await list()).rules.find((r) => r.name === rule)!;
    const t1 = info.states.find((s) => s.group === 't1')!;
    expect(t1).toMatchObject({ phase: 'firing', value: 71.5, n: 40, silence: null, ack: null });

    const until = new Date(Date.now() + 2 * 3_600_000);
    const r = await call<AlertActionResult>('POST', `${path(rule)}/silence`, 'editor', {
      until: until.toISOString(),
      why: '系统切换',
    });
    expect(r.status).toBe(200);
    expect(r.body.changed.map((c) => c.group).sort()).toEqual(['t1', 't2']);
    info = (await list()).rules.find((x) => x.name === rule)!;
    for (const s of info.states)
      expect(s.silence).toEqual({ until: until.toISOString(), by: callerId('editor'), why: '系统切换' });
  });

  it('an acknowledgement takes a firing group, or a breakdown rule as a whole; nothing to acknowledge is a 409', async () => {
    const r = await call<AlertActionResult>('POST', `${path(rule)}/acknowledge`, 'editor', {
      why: 'on it',
      group: 't1',
    });
    expect(r.status).toBe(200);
    expect(r.body.changed).toEqual([{ rule, group: 't1' }]);
    let info = (await list()).rules.find((x) => x.name === rule)!;
    expect(info.states.find((s) => s.group === 't1')!.ack).toMatchObject({
      by: callerId('editor'),
      why: 'on it',
    });
    expect(info.states.find((s) => s.group === 't2')!.ack).toBeNull();
    const fine = await call('POST', `${path(rule)}/acknowledge`, 'editor', { why: 'x', group: 't2' });
    expect(fine.status).toBe(409);
    // without a group: the rule as a whole, kept on its group '' (every group held while it lasts)
    const whole = await call<AlertActionResult>('POST', `${path(rule)}/acknowledge`, 'editor', {
      why: '全组处理中',
    });
    expect(whole.status).toBe(200);
    expect(whole.body.changed).toEqual([{ rule, group: '' }]);
    info = (await list()).rules.find((x) => x.name === rule)!;
    expect(info.states.find((s) => s.group === '')!.ack).toMatchObject({
      by: callerId('editor'),
      why: '全组处理中',
    });
    const none = await call('POST', `${path('csat-t1')}/acknowledge`, 'editor', { why: 'x' });
    expect(none.status).toBe(409);
  });

  it('a silence by filter takes every rule it matches', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const r = await call<AlertActionResult>('POST', '/api/v1/alerts/silence', 'editor', {
      filter: { team_id: 't1' },
      until,
      why: 'training',
    });
    expect(r.status).toBe(200);
    // csat-t1 filters team t1; 投诉回访-按组 breaks down by team; the pipeline rule has no team
    expect([...new Set(r.body.changed.map((c) => c.rule))].sort()).toEqual(
      ['csat-t1', '投诉回访-按组'].sort(),
    );
    const bad = await call('POST', '/api/v1/alerts/silence', 'editor', { filter: {}, until, why: 'x' });
    expect(bad.status).toBe(400);
    const past = await call('POST', `${path('csat-t1')}/silence`, 'editor', {
      until: '2020-01-01T00:00:00Z',
      why: 'x',
    });
    expect(past.status).toBe(400);
    expect(past.body.error?.message).toContain('until');
  });

  it('lists transitions, deliveries, silences and acknowledgements, filtered by rule and time', async () => {
    const r = await call<AlertEventList>(
      'GET',
      `/api/v1/alerts/events?rule=${encodeURIComponent(rule)}`,
      'viewer',
    );
    expect(r.status).toBe(200);
    const kinds = r.body.events.map((e) => `${e.what}:${e.group}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['transition:t1', 'delivery:t1', 'silence:t1', 'silence:t2', 'ack:t1']),
    );
    expect(r.body.events.every((e) => e.rule === rule)).toBe(true);
    const mine = r.body.events.filter((e) => e.what === 'silence' && e.why === '系统切换');
    expect(mine.map((e) => [e.group, e.who]).sort()).toEqual([
      ['t1', callerId('editor')],
      ['t2', callerId('editor')],
    ]);
    const firing = r.body.events.find((e) => e.what === 'transition' && e.group === 't1')!;
    expect(firing).toMatchObject({ to: 'firing', value: 71.5, n: 40 });
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await call<AlertEventList>('GET', `/api/v1/alerts/events?from=${future}`, 'viewer');
    expect(none.body.events).toEqual([]);
    expect((await call('GET', '/api/v1/alerts/events?since=x', 'viewer')).status).toBe(400);
  });
});
