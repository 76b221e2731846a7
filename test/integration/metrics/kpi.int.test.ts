import { randomLcg, randomUniform } from 'd3-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import type { CxEvent } from '../../../ingest/events.ts';
import { generateSample } from '../../../sample/index.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { getMetric } from '../../../metrics/catalog.ts';
import { drillInteractions } from '../../../metrics/answer/explore.ts';
import { answerMetric, computeMetric, runMetric, type MetricRow } from '../../../metrics/answer/metric.ts';
import { toMetricRow } from '../../../metrics/query/value.ts';
import { periodsOf } from '../../../metrics/query/customers.ts';
import { STORES, type Grain, type Store } from '../../../metrics/query/request.ts';
import { refreshRollups, type RefreshResult } from '../../../transforms/refresh.ts';
import { computeOverview, OVERVIEW_METRICS } from '../../../metrics/answer/overview.ts';
import type { Dimension } from '../../../metrics/types.ts';
import { migrate } from '../../../transforms/migrate.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * Every interaction and survey KPI against an independent computation: plain TypeScript over the same
 * events, written from docs/metrics.md, not from the SQL. The events go in with duplicates, shuffled, a
 * part of them late, and periods are cut in Asia/Shanghai (UTC+8), so events near midnight move days.
 */

const TZ = 'Asia/Shanghai';
const AS_OF = new Date('2026-03-10T00:00:00Z');
let cfg: Config;
let ch: ClickHouseClient;
const sample: CxEvent[] = [
  ...generateSample({
    seed: 5,
    customers: 500,
    days: 56,
    start: new Date('2026-01-05T00:00:00Z'),
    timeZone: TZ,
  }),
];

/**
 * Attribution planted on top of the sample (docs/metrics.md "Attribution"), each case its own agent:
 * - x1: opened without agent or team, the agent and team named at first response only; its CSAT answer
 *   arrives before any of its events (first load), the interaction after (second load);
 * - x2: opened by a90 in t1, transferred to t3, escalated to t6, resolved by a92 (and earlier by a91,
 *   then reopened); its answer arrives long after the interaction (second load);
 * - x3: agent only at resolution, the answer names no channel (it takes the interaction's);
 * - answers without an interaction keep their own channel.
 */
function plantedAttribution(customer: string): { events: CxEvent[]; late: Set<string> } {
  const at = (iso: string) => `2026-01-${iso}Z`;
  const ie = (id: string, n: number, type: string, t: string, extra: Record<string, unknown> = {}) =>
    ({
      event_id: `00000000-0000-4000-8000-attr${id}${String(n).padStart(4, '0')}`,
      type,
      occurred_at: at(t),
      interaction_id: id,
      schema_version: 1,
      ...extra,
    }) as CxEvent;
  const survey = (n: number, t: string, score: number, extra: Record<string, unknown>) =>
    ({
      event_id: `00000000-0000-4000-8000-attrsurv${String(n).padStart(4, '0')}`,
      type: 'survey.responded',
      occurred_at: at(t),
      customer_id: customer,
      survey: 'csat',
      score,
      schema_version: 1,
      ...extra,
    }) as CxEvent;
  const opened = { customer_id: customer, category: 'inquiry', priority: 'normal' };
  const x1 = [
    ie('x1', 1, 'interaction.opened', '12T02:00:00.000', { ...opened, channel: 'email' }),
    ie('x1', 2, 'interaction.first_response', '12T03:00:00.000', { agent_id: 'a97', team_id: 't9' }),
    ie('x1', 3, 'interaction.resolved', '12T05:00:00.000'),
  ];
  const x2 = [
    ie('x2', 1, 'interaction.opened', '13T02:00:00.000', {
      ...opened,
      channel: 'phone',
      category: 'complaint',
      severity: 'major',
      team_id: 't1',
      agent_id: 'a90',
    }),
    ie('x2', 2, 'interaction.first_response', '13T02:00:20.000', { agent_id: 'a90', team_id: 't1' }),
    ie('x2', 3, 'interaction.transferred', '13T02:10:00.000', { from_team_id: 't1', to_team_id: 't3' }),
    ie('x2', 4, 'interaction.resolved', '13T04:00:00.000', { agent_id: 'a91' }),
    ie('x2', 5, 'interaction.reopened', '13T06:00:00.000'),
    ie('x2', 6, 'interaction.escalated', '13T07:00:00.000', { to_team_id: 't6', severity: 'crisis' }),
    ie('x2', 7, 'interaction.resolved', '13T09:00:00.000', { agent_id: 'a92' }),
    ie('x2', 8, 'interaction.followed_up', '13T10:00:00.000', { agent_id: 'a93' }),
  ];
  const x3 = [
    ie('x3', 1, 'interaction.opened', '14T02:00:00.000', {
      ...opened,
      channel: 'self_service',
      team_id: 't4',
    }),
    ie('x3', 2, 'interaction.first_response', '14T02:30:00.000'),
    ie('x3', 3, 'interaction.resolved', '14T03:00:00.000', { agent_id: 'a98' }),
  ];
  const surveys = [
    survey(1, '12T01:00:00.000', 5, { interaction_id: 'x1', channel: 'email' }),
    survey(2, '25T08:00:00.000', 2, { interaction_id: 'x2', channel: 'phone' }),
    survey(3, '14T08:00:00.000', 4, { interaction_id: 'x3' }),
    survey(4, '14T09:00:00.000', 3, { channel: 'chat' }),
    survey(5, '15T09:00:00.000', 5, {}),
  ];
  const late = new Set([...x1, surveys[1] as CxEvent].map((e) => e.event_id));
  return { events: [...x1, ...x2, ...x3, ...surveys], late };
}
const planted = plantedAttribution(
  (sample.find((e) => e.type === 'customer.upserted') as { customer_id: string }).customer_id,
);
const events: CxEvent[] = [...sample, ...planted.events];

/** The two refreshes: the first over most of the data, the second incremental over the rest. */
let firstRefresh: RefreshResult;
let secondRefresh: RefreshResult;
let interactionCount = 0;

async function load(sink: ClickHouseSink, part: CxEvent[], offset: number): Promise<void> {
  for (let i = 0; i < part.length; i += 2_000) {
    const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
    part.slice(i, i + 2_000).forEach((e, k) => {
      const { table, row } = toRow(e, { topic: 't', partition: 0, offset: String(offset + i + k) });
      rows[table]!.push(rowLine(row));
    });
    await sink.write({ rows, dlq: [] });
  }
}

beforeAll(async () => {
  cfg = testConfig(testEnv({ CXPULSE_TIMEZONE: TZ }));
  ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, cfg.clickhouse.database);
  const rnd = randomUniform.source(randomLcg(0.77))(0, 1);
  const stream = [...events, ...events.filter(() => rnd() < 0.15)];
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [stream[i], stream[j]] = [stream[j] as CxEvent, stream[i] as CxEvent];
  }
  // The last week arrives after the first refresh, with 3 % of the older events arriving late.
  const cut = ms('2026-02-22T00:00:00Z');
  const later = (e: CxEvent) => planted.late.has(e.event_id) || ms(e.occurred_at) >= cut || rnd() < 0.03;
  const first = stream.filter((e) => !later(e));
  const second = stream.filter((e) => !first.includes(e));
  const sink = new ClickHouseSink(ch, cfg.clickhouse.database);
  await load(sink, first, 0);
  firstRefresh = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
  await load(sink, second, first.length);
  secondRefresh = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
  interactionCount = new Set(
    events
      .filter((e) => e.type === 'interaction.opened')
      .map((e) => (e as { interaction_id: string }).interaction_id),
  ).size;
}, 240_000);

afterAll(() => ch?.close());

// ---------------------------------------------------------------- the independent computation

const ms = (iso: string) => Date.parse(iso);
async function scalarText(query: string): Promise<string> {
  const rs = await ch.query({ query, format: 'JSONCompactEachRow' });
  return String((await rs.json<[unknown]>())[0]?.[0]);
}
const localDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
function period(t: number, grain: Grain): string {
  const day = localDate.format(new Date(t));
  if (grain === 'day') return day;
  if (grain === 'month') return `${day.slice(0, 8)}01`;
  if (grain === 'total') return 'total';
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

interface Fact {
  id: string;
  customer: string;
  channel: string;
  category: string;
  priority: string;
  severity: string;
  team_id: string;
  agent_id: string;
  opened_team_id: string;
  opened_agent_id: string;
  segment: string;
  region: string;
  opened: number;
  firstResponse: number | null;
  abandoned: boolean;
  lastResolved: number | null;
  lastReopened: number | null;
  reopens: number;
  transferred: boolean;
  escalated: boolean;
  followedUp: number | null;
}

function customerAttributes(): Map<string, { segment: string; region: string }> {
  const latest = new Map<string, { segment: [number, string]; region: [number, string] }>();
  for (const e of events) {
    if (e.type !== 'customer.upserted') continue;
    const cur = latest.get(e.customer_id) ?? { segment: [-Infinity, ''], region: [-Infinity, ''] };
    const t = ms(e.occurred_at);
    if (e.segment && t > cur.segment[0]) cur.segment = [t, e.segment];
    if (e.region && t > cur.region[0]) cur.region = [t, e.region];
    latest.set(e.customer_id, cur);
  }
  return new Map([...latest].map(([k, v]) => [k, { segment: v.segment[1], region: v.region[1] }]));
}

/** The latest (or earliest) of an event's value, by (occurred_at, event_id): who the rule names. */
type Pick = { t: number; id: string; v: string } | undefined;
const later = (a: Pick, t: number, id: string, v: string): Pick =>
  a === undefined || t > a.t || (t === a.t && id > a.id) ? { t, id, v } : a;
const earlier = (a: Pick, t: number, id: string, v: string): Pick =>
  a === undefined || t < a.t || (t === a.t && id < a.id) ? { t, id, v } : a;

interface Seen {
  resolvedAgent?: Pick;
  firstResponseAgent?: Pick;
  firstResponseTeam?: Pick;
  lastToTeam?: Pick;
}

/**
 * Every interaction seen in an event, opened or not, with the attribution of docs/metrics.md: agent =
 * of the last resolution naming one, else of the first first response naming one, else of the opening;
 * team = the last team transferred or escalated to, else of the opening, else of the first response.
 */
function allInteractions(): Map<string, Partial<Fact> & { reopenIds: Set<string> }> {
  const by = new Map<string, Partial<Fact> & { reopenIds: Set<string> } & Seen>();
  for (const e of events) {
    if (!e.type.startsWith('interaction.')) continue;
    const id = (e as { interaction_id: string }).interaction_id;
    const f = by.get(id) ?? {
      id,
      reopenIds: new Set<string>(),
      abandoned: false,
      transferred: false,
      escalated: false,
    };
    const t = ms(e.occurred_at);
    const min = (a: number | null | undefined) => (a == null ? t : Math.min(a, t));
    const max = (a: number | null | undefined) => (a == null ? t : Math.max(a, t));
    const agent = (e as { agent_id?: string }).agent_id ?? '';
    switch (e.type) {
      case 'interaction.opened':
        Object.assign(f, {
          customer: e.customer_id,
          channel: e.channel,
          category: e.category,
          priority: e.priority ?? 'normal',
          severity: e.severity ?? '',
          opened_team_id: e.team_id ?? '',
          opened_agent_id: e.agent_id ?? '',
        });
        f.opened = min(f.opened);
        break;
      case 'interaction.first_response':
        f.firstResponse = min(f.firstResponse);
        if (agent) f.firstResponseAgent = earlier(f.firstResponseAgent, t, e.event_id, agent);
        if (e.team_id) f.firstResponseTeam = earlier(f.firstResponseTeam, t, e.event_id, e.team_id);
        break;
      case 'interaction.abandoned':
        f.abandoned = true;
        break;
      case 'interaction.resolved':
        f.lastResolved = max(f.lastResolved);
        if (agent) f.resolvedAgent = later(f.resolvedAgent, t, e.event_id, agent);
        break;
      case 'interaction.reopened':
        f.lastReopened = max(f.lastReopened);
        f.reopenIds.add(e.event_id);
        break;
      case 'interaction.transferred':
        f.transferred = true;
        f.lastToTeam = later(f.lastToTeam, t, e.event_id, e.to_team_id);
        break;
      case 'interaction.escalated':
        f.escalated = true;
        if (e.to_team_id) f.lastToTeam = later(f.lastToTeam, t, e.event_id, e.to_team_id);
        break;
      case 'interaction.followed_up':
        f.followedUp = min(f.followedUp);
        break;
    }
    by.set(id, f);
  }
  for (const f of by.values()) {
    f.agent_id = f.resolvedAgent?.v || f.firstResponseAgent?.v || f.opened_agent_id || '';
    f.team_id = f.lastToTeam?.v || f.opened_team_id || f.firstResponseTeam?.v || '';
  }
  return by;
}

function interactionFacts(): Fact[] {
  const attrs = customerAttributes();
  return [...allInteractions().values()]
    .filter((f) => f.opened !== undefined)
    .map((f) => {
      const a = attrs.get(f.customer as string) ?? { segment: '', region: '' };
      return {
        ...(f as Fact),
        firstResponse: f.firstResponse ?? null,
        lastResolved: f.lastResolved ?? null,
        lastReopened: f.lastReopened ?? null,
        followedUp: f.followedUp ?? null,
        reopens: f.reopenIds.size,
        segment: a.segment,
        region: a.region,
      };
    });
}

interface Derived extends Fact {
  responded: boolean;
  frs: number | null;
  target: number;
  resolved: boolean;
  resolutionHours: number | null;
  fcr: boolean;
}

function derive(facts: Fact[], policy: Config['policy']): Derived[] {
  const next = new Map<string, number | null>();
  const groups = new Map<string, Fact[]>();
  for (const f of facts)
    groups.set(`${f.customer}\u0000${f.category}`, [
      ...(groups.get(`${f.customer}\u0000${f.category}`) ?? []),
      f,
    ]);
  for (const g of groups.values()) {
    g.sort((a, b) => a.opened - b.opened || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    g.forEach((f, i) => next.set(f.id, g[i + 1]?.opened ?? null));
  }
  return facts.map((f) => {
    const channelTarget =
      policy.firstResponseSeconds[f.channel] ?? (policy.firstResponseSeconds['*'] as number);
    const urgent = f.category === 'complaint' || f.priority === 'high' || f.priority === 'urgent';
    const target = Math.min(channelTarget, urgent ? policy.urgentSeconds : Infinity);
    const resolved = f.lastResolved !== null && (f.lastReopened === null || f.lastResolved >= f.lastReopened);
    const n = next.get(f.id) ?? null;
    const repeat =
      n !== null && resolved && n <= (f.lastResolved as number) + policy.fcrRepeatWindowDays * 86_400_000;
    return {
      ...f,
      responded: f.firstResponse !== null,
      frs: f.firstResponse === null ? null : (f.firstResponse - f.opened) / 1000,
      target,
      resolved,
      resolutionHours: f.lastResolved === null ? null : (f.lastResolved - f.opened) / 3_600_000,
      fcr: f.reopens === 0 && !f.transferred && !f.escalated && !repeat,
    };
  });
}

type Agg =
  | { kind: 'rate'; num: (d: Derived) => boolean; den: (d: Derived) => boolean }
  | { kind: 'count'; where: (d: Derived) => boolean }
  | { kind: 'quantile'; where: (d: Derived) => boolean; value: (d: Derived) => number };

const asOf = AS_OF.getTime();
const INTERACTION_REFS: Record<string, Agg> = {
  fcr: { kind: 'rate', num: (d) => d.fcr, den: (d) => d.resolved },
  sla_compliance: {
    kind: 'rate',
    num: (d) => d.responded && (d.frs as number) <= d.target,
    den: (d) => !d.abandoned && (d.responded || (asOf - d.opened) / 1000 > d.target),
  },
  resolved_on_time: { kind: 'rate', num: (d) => (d.resolutionHours as number) <= 24, den: (d) => d.resolved },
  answer_rate: {
    kind: 'rate',
    num: (d) => d.responded && !d.abandoned,
    den: (d) => d.channel === 'phone' && (d.responded || d.abandoned),
  },
  abandonment_rate: {
    kind: 'rate',
    num: (d) => d.abandoned && !d.responded,
    den: (d) => d.channel === 'phone' && (d.responded || d.abandoned),
  },
  complaint_rate: { kind: 'rate', num: (d) => d.category === 'complaint', den: () => true },
  follow_up_48h: {
    kind: 'rate',
    num: (d) => d.followedUp !== null && d.followedUp <= (d.lastResolved as number) + 48 * 3_600_000,
    den: (d) => d.category === 'complaint' && d.resolved,
  },
  reopen_rate: { kind: 'rate', num: (d) => d.reopens > 0, den: () => true },
  escalation_rate: { kind: 'rate', num: (d) => d.escalated, den: () => true },
  transfer_rate: { kind: 'rate', num: (d) => d.transferred, den: () => true },
  complaints: { kind: 'count', where: (d) => d.category === 'complaint' },
  interactions: { kind: 'count', where: () => true },
  first_response_time: { kind: 'quantile', where: (d) => d.responded, value: (d) => d.frs as number },
  resolution_time: { kind: 'quantile', where: (d) => d.resolved, value: (d) => d.resolutionHours as number },
};

function quantile(sorted: number[], level: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))] as number;
}

function reference(
  name: string,
  grain: Grain,
  by: Dimension[],
  from: string,
  to: string,
): Map<string, { value: number | null; n: number }> {
  const agg = INTERACTION_REFS[name] as Agg;
  const derived = derive(interactionFacts(), cfg.policy);
  const groups = new Map<string, Derived[]>();
  for (const d of derived) {
    const day = period(d.opened, 'day');
    if (day < from || day > to) continue;
    const key = [period(d.opened, grain), ...by.map((b) => String(d[b as keyof Derived]))].join('|');
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const out = new Map<string, { value: number | null; n: number }>();
  for (const [key, ds] of groups) {
    // A group without observations of the metric is not a row of the answer.
    if (agg.kind === 'rate' && !ds.some(agg.den)) continue;
    if (agg.kind !== 'rate' && !ds.some(agg.where)) continue;
    if (agg.kind === 'rate') {
      const den = ds.filter(agg.den);
      out.set(key, {
        value: den.length ? (den.filter(agg.num).length / den.length) * 100 : null,
        n: den.length,
      });
    } else if (agg.kind === 'count') {
      const n = ds.filter(agg.where).length;
      out.set(key, { value: n, n });
    } else {
      const vals = ds
        .filter(agg.where)
        .map(agg.value)
        .sort((a, b) => a - b);
      out.set(key, { value: vals.length ? quantile(vals, 0.5) : null, n: vals.length });
    }
  }
  return out;
}

function surveyReference(name: string, grain: Grain, by: Dimension[], from: string, to: string) {
  const attrs = customerAttributes();
  const interactions = allInteractions();
  const seen = new Set<string>();
  const groups = new Map<string, number[]>();
  const survey = { csat: 'csat', csat_mean: 'csat', nps: 'nps', ces: 'ces' }[name] as string;
  for (const e of events) {
    if (e.type !== 'survey.responded' || e.survey !== survey || seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    const t = ms(e.occurred_at);
    const day = period(t, 'day');
    if (day < from || day > to) continue;
    const a = attrs.get(e.customer_id) ?? { segment: '', region: '' };
    // an answer takes its interaction's dimensions (and channel when it names none)
    const i = e.interaction_id ? interactions.get(e.interaction_id) : undefined;
    const dims: Record<string, string> = {
      channel: e.channel || i?.channel || '',
      category: i?.category ?? '',
      priority: i?.priority ?? '',
      severity: i?.severity ?? '',
      team_id: i?.team_id ?? '',
      agent_id: i?.agent_id ?? '',
      segment: a.segment,
      region: a.region,
    };
    const key = [period(t, grain), ...by.map((b) => dims[b])].join('|');
    groups.set(key, [...(groups.get(key) ?? []), e.score]);
  }
  const out = new Map<string, { value: number | null; n: number }>();
  for (const [key, s] of groups) {
    const n = s.length;
    let value: number;
    if (name === 'csat') value = (s.filter((x) => x >= 4).length / n) * 100;
    else if (name === 'nps')
      value = ((s.filter((x) => x >= 9).length - s.filter((x) => x <= 6).length) / n) * 100;
    else value = s.reduce((a, b) => a + b, 0) / n;
    out.set(key, { value, n });
  }
  return out;
}

/** Churn per period: customers active at its start (known before, not churned before) and churned in it. */
function customerReference(name: string, grain: Grain, by: Dimension[], from: string, to: string) {
  const attrs = customerAttributes();
  const c = new Map<string, { signedUp: number | null; firstSeen: number; churned: number | null }>();
  for (const e of events) {
    if (!e.type.startsWith('customer.')) continue;
    const id = (e as { customer_id: string }).customer_id;
    const t = ms(e.occurred_at);
    const cur = c.get(id) ?? { signedUp: null, firstSeen: t, churned: null };
    cur.firstSeen = Math.min(cur.firstSeen, t);
    if (e.type === 'customer.upserted' && e.signed_up_at)
      cur.signedUp = Math.min(cur.signedUp ?? Infinity, ms(e.signed_up_at));
    if (e.type === 'customer.churned') cur.churned = Math.min(cur.churned ?? Infinity, t);
    c.set(id, cur);
  }
  const out = new Map<string, { value: number | null; n: number }>();
  for (const [key, first, last] of periodsOf(from, to, grain)) {
    const starts = Date.parse(`${first}T00:00:00+08:00`);
    const ends = Date.parse(`${last}T00:00:00+08:00`) + 86_400_000;
    const groups = new Map<string, { active: number; churned: number }>();
    for (const [id, v] of c) {
      const since = v.signedUp ?? v.firstSeen;
      if (!(since < starts && (v.churned === null || v.churned >= starts))) continue;
      const a = attrs.get(id) ?? { segment: '', region: '' };
      const dims: Record<string, string> = a;
      const k = [key, ...by.map((b) => dims[b])].join('|');
      const g = groups.get(k) ?? { active: 0, churned: 0 };
      g.active++;
      if (v.churned !== null && v.churned < ends) g.churned++;
      groups.set(k, g);
    }
    for (const [k, g] of groups) {
      const churn = (g.churned / g.active) * 100;
      out.set(k, {
        value: name === 'churn_rate' ? churn : ((g.active - g.churned) / g.active) * 100,
        n: g.active,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- the comparison

function keyed(rows: MetricRow[], by: Dimension[]): Map<string, { value: number | null; n: number }> {
  return new Map(
    rows.map((r) => [[r.period, ...by.map((b) => String(r[b]))].join('|'), { value: r.value, n: r.n }]),
  );
}

/** `rel`: the relative error allowed (rolled-up quantiles: the stated 1 %; everything else exact). */
function expectSame(
  got: Map<string, { value: number | null; n: number }>,
  want: Map<string, { value: number | null; n: number }>,
  what: string,
  rel = 1e-9,
) {
  expect([...got.keys()].sort(), what).toEqual([...want.keys()].sort());
  for (const [k, w] of want) {
    const g = got.get(k)!;
    expect(g.n, `${what} ${k} n`).toBe(w.n);
    if (w.value === null) expect(g.value, `${what} ${k}`).toBeNull();
    else
      expect(
        Math.abs((g.value as number) - w.value),
        `${what} ${k}: ${g.value} vs ${w.value}`,
      ).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(w.value)));
  }
}

const CASES: { grain: Grain; by: Dimension[] }[] = [
  { grain: 'total', by: [] },
  { grain: 'week', by: ['channel'] },
  { grain: 'day', by: [] },
  { grain: 'month', by: ['segment', 'region'] },
  // every dimension on its own
  ...(['category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'] as Dimension[]).map(
    (d) => ({ grain: 'total' as Grain, by: [d] }),
  ),
  // agent × another dimension
  { grain: 'week', by: ['agent_id', 'channel'] },
  { grain: 'total', by: ['agent_id', 'category'] },
];
const FROM = '2026-01-05';
const TO = '2026-02-28';
/** The whole period, no grouping. */
const TOTAL = { from: FROM, to: TO, grain: 'total' as Grain, by: [] as Dimension[], filters: {} };

describe.each(STORES)('interaction KPIs from %s equal an independent computation', (store: Store) => {
  for (const name of Object.keys(INTERACTION_REFS)) {
    // quantiles from the rollups: p50 within the stated 1 % (metrics/query/histogram.ts)
    const rel = store === 'rollup' && getMetric(name).kind === 'quantile' ? 0.01 * (1 + 1e-9) : 1e-9;
    it.each(CASES)(`${name} by $grain × $by`, async ({ grain, by }) => {
      const rows = await computeMetric(ch, cfg, getMetric(name), {
        from: FROM,
        to: TO,
        grain,
        by,
        filters: {},
        asOf: AS_OF,
        store,
      });
      expectSame(keyed(rows, by), reference(name, grain, by, FROM, TO), name, rel);
    });
  }
  it('agent × channel × category: no rollup holds it (the facts and raw tables answer)', async () => {
    const req = {
      from: FROM,
      to: TO,
      grain: 'total' as Grain,
      by: ['agent_id', 'channel', 'category'] as Dimension[],
    };
    const run = () => computeMetric(ch, cfg, getMetric('fcr'), { ...req, filters: {}, asOf: AS_OF, store });
    if (store === 'rollup') await expect(run()).rejects.toThrow(/not in the daily rollups/);
    else expectSame(keyed(await run(), req.by), reference('fcr', req.grain, req.by, FROM, TO), 'fcr');
  });
  it('by team, filtered to two channels', async () => {
    const rows = await computeMetric(ch, cfg, getMetric('fcr'), {
      from: FROM,
      to: TO,
      grain: 'week',
      by: ['team_id'],
      filters: { channel: ['phone', 'chat'] },
      asOf: AS_OF,
      store,
    });
    const want = reference('fcr', 'week', ['team_id', 'channel'], FROM, TO);
    const merged = new Map<string, { x: number; n: number }>();
    for (const [k, v] of want) {
      const [p, team, channel] = k.split('|');
      if (channel !== 'phone' && channel !== 'chat') continue;
      const m = merged.get(`${p}|${team}`) ?? { x: 0, n: 0 };
      m.x += ((v.value ?? 0) / 100) * v.n;
      m.n += v.n;
      merged.set(`${p}|${team}`, m);
    }
    const got = keyed(rows, ['team_id']);
    for (const [k, m] of merged) {
      expect(got.get(k)?.n, k).toBe(m.n);
      if (m.n > 0) expect(Math.abs((got.get(k)!.value as number) - (m.x / m.n) * 100)).toBeLessThan(1e-9);
    }
  });
});

const SURVEY_CASES: { grain: Grain; by: Dimension[] }[] = [
  ...CASES,
  { grain: 'week', by: ['team_id'] },
  { grain: 'month', by: ['agent_id'] },
  { grain: 'total', by: ['team_id', 'channel'] },
  { grain: 'total', by: ['category', 'priority'] },
  { grain: 'week', by: ['agent_id', 'team_id'] },
];

describe.each(STORES)('survey KPIs from %s equal an independent computation', (store: Store) => {
  for (const name of ['csat', 'csat_mean', 'nps', 'ces']) {
    it.each(SURVEY_CASES)(`${name} by $grain × $by`, async ({ grain, by }) => {
      const rows = await computeMetric(ch, cfg, getMetric(name), {
        from: FROM,
        to: TO,
        grain,
        by,
        filters: {},
        store,
      });
      expectSame(keyed(rows, by), surveyReference(name, grain, by, FROM, TO), name);
    });
  }
});

describe.each(STORES)('survey attribution from %s (the planted cases)', (store: Store) => {
  const csat = async (by: Dimension[], filters: Partial<Record<Dimension, string[]>> = {}) =>
    (await computeMetric(ch, cfg, getMetric('csat'), { ...TOTAL, by, filters, store })).map((r) => [
      ...by.map((d) => r[d]),
      r.value,
      r.n,
    ]);
  it('an answer that came before its interaction takes the agent and team of its first response', async () => {
    expect(await csat([], { agent_id: ['a97'] })).toEqual([[100, 1]]);
    expect(await csat([], { team_id: ['t9'] })).toEqual([[100, 1]]);
  });
  it('an answer long after a transferred, escalated, reopened interaction: the last resolver, the last team', async () => {
    expect(await csat([], { agent_id: ['a92'] })).toEqual([[0, 1]]);
    // the opener, the earlier resolver and the one who followed up answer for none (an empty total)
    for (const gone of ['a90', 'a91', 'a93'])
      expect(await csat([], { agent_id: [gone] })).toEqual([[null, 0]]);
    const want = surveyReference('csat', 'total', ['team_id'], FROM, TO).get('total|t6')!;
    const [[value, n] = []] = await csat([], { team_id: ['t6'] });
    expect(n).toBe(want.n);
    expect(Math.abs((value as number) - (want.value as number))).toBeLessThan(1e-9);
  });
  it("an answer naming no channel takes its interaction's channel; one without an interaction keeps its own", async () => {
    // agent × channel is a rollup grouping set too
    expect(await csat(['channel'], { agent_id: ['a98'] })).toEqual([['self_service', 100, 1]]);
    const none = surveyReference('csat', 'total', ['agent_id'], FROM, TO).get('total|')!;
    expect(none.n).toBeGreaterThanOrEqual(2);
    const [, value, n] = (await csat(['agent_id'])).find((r) => r[0] === '') ?? [];
    expect(n).toBe(none.n);
    expect(Math.abs((value as number) - (none.value as number))).toBeLessThan(1e-9);
  });
});

describe('the drill-down of a survey KPI', () => {
  it('lists the interactions its answers in scope are about, counted when an answer is in the numerator', async () => {
    // independent: CSAT answers of the period about an (opened) interaction attributed to t6
    const interactions = allInteractions();
    const want = new Map<string, boolean>();
    for (const e of events) {
      if (e.type !== 'survey.responded' || e.survey !== 'csat' || !e.interaction_id) continue;
      const day = period(ms(e.occurred_at), 'day');
      const i = interactions.get(e.interaction_id);
      if (day < FROM || day > TO || i?.team_id !== 't6' || i.opened === undefined) continue;
      want.set(e.interaction_id, (want.get(e.interaction_id) ?? false) || e.score >= 4);
    }
    expect(want.get('x2')).toBe(false);
    const page = await drillInteractions(ch, cfg, {
      ...TOTAL,
      filters: { team_id: ['t6'] },
      metric: 'csat',
      asOf: AS_OF,
      page: 1,
      pageSize: 500,
    });
    expect(page.total).toBe(want.size);
    expect(page.rows.length).toBe(Math.min(500, want.size));
    for (const r of page.rows)
      expect(r['counted'], String(r['interaction_id'])).toBe(want.get(String(r['interaction_id'])));
    const missed = await drillInteractions(ch, cfg, {
      ...TOTAL,
      filters: { agent_id: ['a92'] },
      metric: 'csat',
      counted: false,
      asOf: AS_OF,
      page: 1,
      pageSize: 10,
    });
    expect(
      missed.rows.map((r) => [r['interaction_id'], r['team_id'], r['opened_team_id'], r['opened_agent_id']]),
    ).toEqual([['x2', 't6', 't1', 'a90']]);
  });
});

describe.each(STORES)('customer KPIs from %s equal an independent computation', (store: Store) => {
  for (const name of ['churn_rate', 'retention_rate']) {
    it.each([
      { grain: 'total' as Grain, by: [] as Dimension[] },
      { grain: 'week' as Grain, by: ['segment'] as Dimension[] },
      { grain: 'month' as Grain, by: ['segment', 'region'] as Dimension[] },
    ])(`${name} by $grain × $by`, async ({ grain, by }) => {
      const rows = await computeMetric(ch, cfg, getMetric(name), {
        from: FROM,
        to: TO,
        grain,
        by,
        filters: {},
        store,
      });
      expectSame(keyed(rows, by), customerReference(name, grain, by, FROM, TO), name);
    });
  }
  it('filters by segment', async () => {
    const rows = await computeMetric(ch, cfg, getMetric('churn_rate'), {
      from: FROM,
      to: TO,
      grain: 'total',
      by: [],
      filters: { segment: ['vip'] },
      store,
    });
    const want = customerReference('churn_rate', 'total', ['segment'], FROM, TO).get('total|vip')!;
    expect(rows[0]!.n).toBe(want.n);
    expect(Math.abs(rows[0]!.value! - want.value!)).toBeLessThan(1e-9);
  });
  it('counts explicit periods in any order, overlapping, in one query (the overview asks so)', async () => {
    const periods = [
      ['late', '2026-02-16', TO],
      ['early', FROM, '2026-01-25'],
      ['2026-01-20', '2026-01-20', '2026-02-20'],
    ] as const;
    const raw = await runMetric(ch, cfg, getMetric('churn_rate'), {
      ...TOTAL,
      periods: periods.map((p) => [...p] as [string, string, string]),
      store,
    });
    const got = new Map(raw.raw.map((r) => [r.period, r]));
    expect([...got.keys()].sort()).toEqual(periods.map((p) => p[0]).sort());
    for (const [key, first, last] of periods) {
      const want = customerReference('churn_rate', 'total', [], first, last).get('total')!;
      const row = toMetricRow(getMetric('churn_rate'), got.get(key)!, []);
      expect(row.n, key).toBe(want.n);
      expect(Math.abs(row.value! - want.value!), key).toBeLessThan(1e-9);
    }
  });
});

describe('rollup refresh', () => {
  it('the first refresh built everything; the second rewrote only what the later events changed', () => {
    expect(firstRefresh.fullRebuild).toBe(true);
    expect(secondRefresh.fullRebuild).toBe(false);
    expect(secondRefresh.interactionsRewritten).toBeGreaterThan(0);
    expect(secondRefresh.interactionsRewritten).toBeLessThan(interactionCount);
    // the last week, and the days of the late events
    expect(secondRefresh.daysRebuilt).toBeGreaterThanOrEqual(7);
  });
  it('a refresh with nothing new rewrites nothing and keeps the numbers', async () => {
    const before = await computeMetric(ch, cfg, getMetric('fcr'), {
      from: FROM,
      to: TO,
      grain: 'week',
      by: ['channel'],
      filters: {},
      store: 'rollup',
    });
    const again = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    expect(again).toMatchObject({ interactionsRewritten: 0, surveysRewritten: 0, customersRewritten: 0 });
    const after = await computeMetric(ch, cfg, getMetric('fcr'), {
      from: FROM,
      to: TO,
      grain: 'week',
      by: ['channel'],
      filters: {},
      store: 'rollup',
    });
    expect(after).toEqual(before);
  });
  it('one late event weeks after its interaction rewrites that interaction and rebuilds its day only', async () => {
    const reopened = new Set(
      events
        .filter((e) => e.type === 'interaction.reopened')
        .map((e) => (e as { interaction_id: string }).interaction_id),
    );
    const opened = events.find(
      (e) =>
        e.type === 'interaction.opened' &&
        e.occurred_at.startsWith('2026-01-14T0') &&
        !reopened.has(e.interaction_id),
    ) as Extract<CxEvent, { type: 'interaction.opened' }>;
    const day = localDate.format(new Date(opened.occurred_at));
    const req = { from: day, to: day, grain: 'total' as Grain, by: [] as Dimension[], filters: {} };
    const before = await computeMetric(ch, cfg, getMetric('reopen_rate'), { ...req, store: 'raw' });
    const late: CxEvent = {
      event_id: '00000000-0000-4000-8000-00000000late',
      type: 'interaction.reopened',
      occurred_at: '2026-01-20T09:00:00.000Z',
      interaction_id: opened.interaction_id,
      schema_version: 1,
    } as CxEvent;
    await load(new ClickHouseSink(ch, cfg.clickhouse.database), [late], 1_000_000);
    const r = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    expect(r).toMatchObject({ interactionsRewritten: 1, daysRebuilt: 1, fullRebuild: false });
    for (const store of STORES) {
      const [row] = await computeMetric(ch, cfg, getMetric('reopen_rate'), { ...req, store });
      expect(row!.n, store).toBe(before[0]!.n);
      expect(Math.abs(row!.value! * row!.n - (before[0]!.value! * before[0]!.n + 100)), store).toBeLessThan(
        1e-6,
      );
    }
  });
  it('merges a partition of the facts that has piled up parts into one, keeping the numbers', async () => {
    const db = cfg.clickhouse.database;
    const req = { ...TOTAL, store: 'facts' as Store };
    const before = await computeMetric(ch, cfg, getMetric('fcr'), req);
    const month = await scalarText(`SELECT toString(toYYYYMM(max(day))) FROM ${db}.interaction_kpi`);
    // background merges off (no part is small enough), then nine more parts in one month: copies of
    // its rows (same version, so FINAL keeps one of each)
    await ch.command({
      query: `ALTER TABLE ${db}.interaction_kpi MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = 1`,
    });
    for (let i = 0; i < 9; i++)
      await ch.command({
        query: `INSERT INTO ${db}.interaction_kpi SELECT * FROM ${db}.interaction_kpi FINAL WHERE toYYYYMM(day) = ${month}`,
      });
    const parts = () =>
      scalarText(
        `SELECT count() FROM system.parts WHERE database = '${db}' AND table = 'interaction_kpi' AND active AND partition_id = '${month}'`,
      );
    expect(Number(await parts())).toBeGreaterThan(8);
    const r = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    expect(r.partitionsCompacted).toBeGreaterThanOrEqual(1);
    expect(Number(await parts())).toBe(1);
    expect(await computeMetric(ch, cfg, getMetric('fcr'), req)).toEqual(before);
    await ch.command({
      query: `ALTER TABLE ${db}.interaction_kpi RESET SETTING max_bytes_to_merge_at_max_space_in_pool`,
    });
  });
  it('auto answers from the rollups when they are current, from the facts otherwise', async () => {
    const base = { from: FROM, to: TO, grain: 'week' as Grain, by: ['channel'] as Dimension[], filters: {} };
    const auto = async (name: string, extra: Partial<Parameters<typeof answerMetric>[3]> = {}) =>
      (await answerMetric(ch, cfg, getMetric(name), { ...base, ...extra })).store;
    expect(await auto('csat')).toBe('rollup');
    expect(await auto('csat', { by: ['agent_id'] })).toBe('rollup');
    expect(await auto('nps', { by: ['team_id'], filters: { category: ['complaint'] } })).toBe('rollup');
    expect(await auto('churn_rate', { by: ['segment'] })).toBe('rollup');
    expect(await auto('first_response_time')).toBe('rollup');
    expect(await auto('fcr', { by: ['agent_id', 'channel'] })).toBe('rollup');
    expect(await auto('fcr', { by: ['agent_id', 'channel'], filters: { category: ['complaint'] } })).toBe(
      'facts',
    );
    // the rollups judged pending SLAs at AS_OF; another instant needs the facts
    expect(await auto('sla_compliance', { asOf: AS_OF })).toBe('rollup');
    expect(await auto('sla_compliance', { asOf: new Date() })).toBe('facts');
  });
});

describe('the overview', () => {
  it.each([{}, { team_id: ['t2'] }])(
    'batched from the rollups, its tiles equal each KPI derived from the raw tables (filters %j)',
    async (filters) => {
      const o = await computeOverview(ch, cfg, { from: FROM, to: TO, filters, asOf: AS_OF });
      expect(o.tiles.map((t) => t.metric)).toEqual([...OVERVIEW_METRICS]);
      for (const t of o.tiles) {
        const m = getMetric(t.metric);
        const own = Object.fromEntries(
          Object.entries(filters).filter(([d]) => m.dimensions.includes(d as Dimension)),
        );
        const req = {
          from: FROM,
          to: TO,
          by: [] as Dimension[],
          filters: own,
          asOf: AS_OF,
          store: 'raw' as const,
        };
        const [total] = await computeMetric(ch, cfg, m, { ...req, grain: 'total' });
        const [prev] = await computeMetric(ch, cfg, m, { ...req, grain: 'total', ...o.previous });
        const series = await computeMetric(ch, cfg, m, { ...req, grain: t.grain as Grain });
        for (const [got, want] of [
          [t.current, total],
          [t.previous, prev],
        ] as const) {
          expect(got.n, t.metric).toBe(want!.n);
          expect(Math.abs((got.value ?? 0) - (want!.value ?? 0)), t.metric).toBeLessThan(1e-9);
        }
        expect(
          t.series.map((r) => [r.period, r.n]),
          t.metric,
        ).toEqual(series.map((r) => [r.period, r.n]));
      }
    },
  );
});

describe('empty periods and bad parameters', () => {
  it('an empty period answers value null and n 0, never NaN', async () => {
    for (const name of ['csat', 'nps', 'fcr', 'first_response_time', 'interactions']) {
      const [row] = await computeMetric(ch, cfg, getMetric(name), {
        from: '2030-01-01',
        to: '2030-01-31',
        grain: 'total',
        by: [],
        filters: {},
      });
      expect(row).toMatchObject({ period: 'total', value: null, n: 0, ci_low: null, ci_high: null });
    }
  });
  it.each([
    [{ from: '2026-13-01' }, /from: must be a date/],
    [{ from: '2026-03-01', to: '2026-02-01' }, /from: must not be after to/],
    [{ grain: 'hour' }, /grain: must be one of day, week, month, total/],
  ])('refuses %j', async (bad, message) => {
    const req = {
      ...TOTAL,
      ...bad,
    } as Parameters<typeof computeMetric>[3];
    await expect(computeMetric(ch, cfg, getMetric('csat'), req)).rejects.toThrow(message);
  });
  it('refuses a customer KPI by team', async () => {
    await expect(
      computeMetric(ch, cfg, getMetric('churn_rate'), { ...TOTAL, by: ['team_id'] }),
    ).rejects.toThrow(/by: churn_rate cannot be grouped by team_id/);
  });
});
