import { describe, expect, it } from 'vitest';
import { CHANNELS, parseEvent, summarize, type CxEvent } from '../../../ingest/events.ts';
import {
  estimateSampleSize,
  generateSample,
  plantedEffects,
  SAMPLE_DISPLAY_NAMES,
  type SampleOptions,
} from '../../../sample/index.ts';
import { loadConfig } from '../../../infra/config.ts';
import { isCxError } from '../../../infra/errors.ts';

const DAY = 86_400_000;
const START = new Date('2026-01-05T00:00:00Z');
// Big enough for the planted effects to stand well clear of the noise, small enough to run in a second or two.
const MAIN: SampleOptions = { seed: 7, customers: 3000, days: 120, start: START };
const events = [...generateSample(MAIN)];

type Opened = Extract<CxEvent, { type: 'interaction.opened' }>;
interface Story {
  opened: Opened;
  at: number;
  types: Set<string>;
  resolvedAt?: number;
}

/** Every interaction with the set of event types it got. */
function stories(evs: readonly CxEvent[]): Map<string, Story> {
  const out = new Map<string, Story>();
  for (const e of evs) {
    if (e.type === 'interaction.opened') {
      out.set(e.interaction_id, { opened: e, at: Date.parse(e.occurred_at), types: new Set() });
    } else if (e.type.startsWith('interaction.')) {
      const s = out.get((e as { interaction_id: string }).interaction_id);
      if (!s) continue;
      s.types.add(e.type);
      if (e.type === 'interaction.resolved') s.resolvedAt = Date.parse(e.occurred_at);
    }
  }
  return out;
}

const interactions = [...stories(events).values()];

function share<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  return xs.filter(pred).length / xs.length;
}

describe('generateSample', () => {
  it('yields only events that pass parseEvent, as they would arrive on the wire', () => {
    const bad: string[] = [];
    for (const e of events) {
      const r = parseEvent(JSON.parse(JSON.stringify(e)));
      if (!r.ok && bad.length < 5) bad.push(`${e.type} ${e.event_id}: ${summarize(r.errors)}`);
    }
    expect(bad).toEqual([]);
    expect(events.length).toBeGreaterThan(50_000);
  });

  it('names agents as producers do: live channels when opened, messages at first response, self-service at resolution', () => {
    const channelOf = new Map<string, string>();
    const named = new Map<string, boolean>();
    for (const e of events) {
      const id = (e as { interaction_id?: string }).interaction_id;
      if (!id || !e.type.startsWith('interaction.')) continue;
      if (e.type === 'interaction.opened') channelOf.set(id, e.channel);
      const agent = (e as { agent_id?: string }).agent_id !== undefined;
      const key = `${channelOf.get(id)} ${e.type}`;
      if (
        e.type === 'interaction.opened' ||
        e.type === 'interaction.first_response' ||
        e.type === 'interaction.resolved'
      )
        named.set(key, (named.get(key) ?? agent) && agent);
    }
    for (const c of ['phone', 'chat', 'store', 'advisor'])
      expect(named.get(`${c} interaction.opened`), c).toBe(true);
    for (const c of ['email', 'social', 'self_service']) {
      expect(named.get(`${c} interaction.opened`), c).toBe(false);
      expect(named.get(`${c} interaction.resolved`), c).toBe(true);
    }
    expect(named.get('email interaction.first_response')).toBe(true);
    expect(named.get('social interaction.first_response')).toBe(true);
    expect(named.get('self_service interaction.first_response')).toBe(false);
  });

  it('orders events by occurred_at, inside the window, with an explicit offset', () => {
    let last = -Infinity;
    let unordered = 0;
    for (const e of events) {
      const t = Date.parse(e.occurred_at);
      if (t < last) unordered++;
      last = t;
    }
    expect(unordered).toBe(0);
    const first = events[0];
    const end = START.getTime() + MAIN.days * DAY;
    expect(first && Date.parse(first.occurred_at)).toBeGreaterThanOrEqual(START.getTime());
    expect(last).toBeLessThan(end);
    expect(events.every((e) => /(Z|[+-]\d\d:\d\d)$/.test(e.occurred_at))).toBe(true);
  });

  it('gives every event a unique id of at most 64 characters', () => {
    const ids = new Set(events.map((e) => e.event_id));
    expect(ids.size).toBe(events.length);
    expect(events.every((e) => e.event_id.length <= 64)).toBe(true);
  });

  it('is deterministic for a seed and different for another', () => {
    const small = { seed: 11, customers: 300, days: 20, start: START };
    const a = JSON.stringify([...generateSample(small)]);
    const b = JSON.stringify([...generateSample(small)]);
    expect(a).toBe(b);
    const other = [...generateSample({ ...small, seed: 12 })].map((e) => `${e.type}@${e.occurred_at}`);
    const same = [...generateSample(small)].map((e) => `${e.type}@${e.occurred_at}`);
    expect(other).not.toEqual(same);
  });

  it('judges first responses by the configured SLA policy, its defaults when none is given', () => {
    const small = { seed: 11, customers: 300, days: 20, start: START };
    const text = (o: SampleOptions) => JSON.stringify([...generateSample(o)]);
    const byDefault = text(small);
    expect(text({ ...small, sla: loadConfig({}).policy })).toBe(byDefault);
    const strict = loadConfig({ SLA_FIRST_RESPONSE_SECONDS: '{"chat":1,"phone":1,"*":60}' }).policy;
    expect(text({ ...small, sla: strict })).not.toBe(byDefault);
    expect(() =>
      generateSample({ ...small, sla: { firstResponseSeconds: { chat: 15 }, urgentSeconds: 60 } }),
    ).toThrow(expect.objectContaining({ code: 'bad_parameter' }));
  });

  it('keeps the causal order of each interaction', () => {
    const opened = new Set<string>();
    let orphans = 0;
    for (const e of events) {
      if (e.type === 'interaction.opened') opened.add(e.interaction_id);
      else if (
        e.type.startsWith('interaction.') &&
        !opened.has((e as { interaction_id: string }).interaction_id)
      )
        orphans++;
    }
    expect(orphans).toBe(0);
    // An abandoned call is never answered.
    expect(
      interactions.filter(
        (s) => s.types.has('interaction.abandoned') && s.types.has('interaction.first_response'),
      ),
    ).toEqual([]);
  });

  it('has a realistic mix of channels, categories, priorities and severities', () => {
    const expected: Record<(typeof CHANNELS)[number], [number, number]> = {
      phone: [0.3, 0.4],
      chat: [0.2, 0.3],
      email: [0.11, 0.19],
      social: [0.03, 0.09],
      store: [0.06, 0.14],
      advisor: [0.03, 0.08],
      self_service: [0.02, 0.06],
    };
    for (const ch of CHANNELS) {
      const s = share(interactions, (i) => i.opened.channel === ch);
      expect(s, ch).toBeGreaterThanOrEqual(expected[ch][0]);
      expect(s, ch).toBeLessThanOrEqual(expected[ch][1]);
    }
    const complaints = interactions.filter((i) => i.opened.category === 'complaint');
    expect(complaints.length / interactions.length).toBeGreaterThan(0.06);
    expect(complaints.length / interactions.length).toBeLessThan(0.1);
    expect(complaints.every((i) => i.opened.severity !== undefined)).toBe(true);
    expect(share(complaints, (i) => i.opened.severity === 'general')).toBeGreaterThan(0.65);
    expect(share(interactions, (i) => i.opened.priority === 'urgent')).toBeLessThan(0.1);
    const phone = interactions.filter((i) => i.opened.channel === 'phone');
    const abandoned = share(phone, (i) => i.types.has('interaction.abandoned'));
    expect(abandoned).toBeGreaterThan(0.08);
    expect(abandoned).toBeLessThan(0.16);
    const perCustomerDay = interactions.length / MAIN.customers / MAIN.days;
    expect(perCustomerDay).toBeGreaterThan(0.05);
    expect(perCustomerDay).toBeLessThan(0.1);
  });

  it('opens most contacts in opening hours, local time', () => {
    const localHour = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).getUTCHours();
    expect(
      share(
        interactions,
        (i) => localHour(i.opened.occurred_at) >= 8 && localHour(i.opened.occurred_at) < 22,
      ),
    ).toBeGreaterThan(0.9);
  });

  it('answers surveys with scores that follow the experience', () => {
    const csat = events.filter((e) => e.type === 'survey.responded' && e.survey === 'csat') as Extract<
      CxEvent,
      { type: 'survey.responded' }
    >[];
    const top2 = share(csat, (e) => e.score >= 4);
    expect(top2).toBeGreaterThan(0.8);
    expect(top2).toBeLessThan(0.93);
    expect(csat.every((e) => e.interaction_id !== undefined && e.channel !== undefined)).toBe(true);
    // Reopened interactions are rated worse than the rest.
    const byId = new Map(interactions.map((i) => [i.opened.interaction_id, i]));
    const reopened = csat.filter((e) => byId.get(e.interaction_id ?? '')?.types.has('interaction.reopened'));
    expect(share(reopened, (e) => e.score >= 4)).toBeLessThan(top2 - 0.1);
  });

  it('follows up most resolved complaints within 48 h', () => {
    const followAt = new Map<string, number>();
    for (const e of events)
      if (e.type === 'interaction.followed_up') followAt.set(e.interaction_id, Date.parse(e.occurred_at));
    const resolved = interactions.filter(
      (i) => i.opened.category === 'complaint' && i.resolvedAt !== undefined,
    );
    // Complaints resolved in the last two days cannot have been followed up yet.
    const judged = resolved.filter((i) => (i.resolvedAt ?? 0) < START.getTime() + (MAIN.days - 2) * DAY);
    const inTime = share(judged, (i) => {
      const f = followAt.get(i.opened.interaction_id);
      return f !== undefined && f - (i.resolvedAt ?? 0) <= 48 * 3_600_000;
    });
    expect(inTime).toBeGreaterThan(0.65);
    expect(inTime).toBeLessThan(0.9);
  });

  it('plants the process change: first-contact resolution rises in t2 only', () => {
    const planted = plantedEffects(MAIN).processChange;
    // Day 60 at 00:00 in Shanghai.
    expect(planted.startsAt).toBe('2026-03-05T16:00:00.000Z');
    expect(planted.teamId).toBe('t2');
    expect(planted.fcrAfter).toBeGreaterThan(planted.fcrBefore);
    const changeAt = Date.parse(planted.startsAt);
    // FCR proxy: resolved and never reopened, transferred or escalated.
    const fcr = (teams: readonly string[], after: boolean) => {
      const resolved = interactions.filter(
        (i) =>
          teams.includes(i.opened.team_id ?? '') && i.at >= changeAt === after && i.resolvedAt !== undefined,
      );
      const first = resolved.filter(
        (i) =>
          !i.types.has('interaction.reopened') &&
          !i.types.has('interaction.transferred') &&
          !i.types.has('interaction.escalated'),
      );
      return first.length / resolved.length;
    };
    expect(fcr(['t2'], true) - fcr(['t2'], false)).toBeGreaterThan(0.06);
    expect(Math.abs(fcr(planted.otherTeamIds, true) - fcr(planted.otherTeamIds, false))).toBeLessThan(0.03);
    for (const team of planted.otherTeamIds) {
      expect(Math.abs(fcr([team], true) - fcr([team], false)), team).toBeLessThan(0.06);
    }
  });

  it('plants contact-driven churn: customers with 4+ contacts churn more than those with one', () => {
    const contacts = new Map<string, number>();
    for (const i of interactions)
      contacts.set(i.opened.customer_id, (contacts.get(i.opened.customer_id) ?? 0) + 1);
    const churned = new Set(
      events
        .filter((e) => e.type === 'customer.churned')
        .map((e) => (e as { customer_id: string }).customer_id),
    );
    const rate = (pred: (n: number) => boolean) => {
      const ids = [...contacts].filter(([, n]) => pred(n)).map(([id]) => id);
      return ids.filter((id) => churned.has(id)).length / ids.length;
    };
    expect(rate((n) => n >= 4)).toBeGreaterThan(2 * rate((n) => n === 1));
    const overall = churned.size / MAIN.customers;
    expect(overall).toBeGreaterThan(0.03);
    expect(overall).toBeLessThan(0.1);
    // Nobody opens an interaction after churning.
    const churnAt = new Map<string, number>();
    for (const e of events)
      if (e.type === 'customer.churned') churnAt.set(e.customer_id, Date.parse(e.occurred_at));
    expect(interactions.filter((i) => i.at > (churnAt.get(i.opened.customer_id) ?? Infinity))).toEqual([]);
  });

  it('upserts every customer at the start and records purchases in CNY', () => {
    const upserted = new Set<string>();
    const inFirstHour = new Set<string>();
    for (const e of events) {
      if (e.type !== 'customer.upserted') continue;
      upserted.add(e.customer_id);
      if (Date.parse(e.occurred_at) < START.getTime() + 3_600_000) inFirstHour.add(e.customer_id);
      expect(Date.parse(e.signed_up_at ?? '')).toBeLessThan(START.getTime());
    }
    expect(upserted.size).toBe(MAIN.customers);
    expect(inFirstHour.size).toBe(MAIN.customers);
    // 'new' customers become 'regular' after 90 days, by a second upsert.
    expect(
      events.some((e) => e.type === 'customer.upserted' && Date.parse(e.occurred_at) > START.getTime() + DAY),
    ).toBe(true);
    const money = events.filter(
      (e) => e.type === 'customer.purchased' || e.type === 'customer.renewed',
    ) as Extract<CxEvent, { type: 'customer.purchased' }>[];
    expect(money.length).toBeGreaterThan(0);
    expect(money.every((e) => e.currency === 'CNY' && (e.amount ?? 0) > 0)).toBe(true);
  });

  it('works in another time zone', () => {
    const ny = [
      ...generateSample({ seed: 3, customers: 300, days: 10, start: START, timeZone: 'America/New_York' }),
    ];
    const opened = ny.filter((e) => e.type === 'interaction.opened');
    const hour = (iso: string) => new Date(Date.parse(iso) - 5 * 3_600_000).getUTCHours();
    expect(share(opened, (e) => hour(e.occurred_at) >= 8 && hour(e.occurred_at) < 22)).toBeGreaterThan(0.9);
  });

  it('rejects bad options with a bad_parameter error', () => {
    for (const bad of [
      { seed: 1, customers: 0, days: 10 },
      { seed: 1, customers: 10, days: 1.5 },
      { seed: -1, customers: 10, days: 10 },
      { seed: 1, customers: 10, days: 10, timeZone: 'Mars/Olympus' },
    ]) {
      expect(() => generateSample(bad).next(), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'bad_parameter' }),
      );
      let err: unknown;
      try {
        estimateSampleSize(bad);
      } catch (e) {
        err = e;
      }
      expect(isCxError(err, 'bad_parameter')).toBe(true);
    }
  });
});

describe('estimateSampleSize', () => {
  it('is within 10 % of the real count', () => {
    expect(Math.abs(estimateSampleSize(MAIN) / events.length - 1)).toBeLessThan(0.1);
    for (const opts of [
      { seed: 1, customers: 2000, days: 14, start: START },
      { seed: 2, customers: 400, days: 365, start: START },
    ]) {
      let n = 0;
      for (const _ of generateSample(opts)) n++;
      expect(Math.abs(estimateSampleSize(opts) / n - 1), JSON.stringify(opts)).toBeLessThan(0.1);
    }
  });
});

describe('the sample centre names', () => {
  it('name every region and team of the data in both languages', () => {
    const seen = { region: new Set<string>(), team_id: new Set<string>() };
    for (const e of events) {
      if (e.type === 'customer.upserted' && e.region) seen.region.add(e.region);
      if (e.type === 'interaction.opened') {
        if (e.team_id) seen.team_id.add(e.team_id);
      }
    }
    expect(seen.region.size).toBeGreaterThan(3);
    expect(seen.team_id.size).toBeGreaterThan(3);
    for (const [dim, values] of Object.entries(seen))
      for (const v of values) {
        const n = SAMPLE_DISPLAY_NAMES[dim as 'region' | 'team_id'][v];
        expect(n?.['zh-CN'], `${dim} ${v}`).toMatch(/\p{Script=Han}/u);
        expect(n?.en, `${dim} ${v}`).toMatch(/^[A-Z]/);
      }
  });
});
