import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseDefinitions } from '../../../dashboards/reports/definitions.ts';
import { checkAddress, checkHost, signWebhook, verifyWebhook } from '../../../dashboards/reports/deliver.ts';
import { parsePeriod, periodFor } from '../../../dashboards/reports/period.ts';
import { lastSlot, nextSlot, runKeyOf } from '../../../dashboards/reports/slots.ts';

const minimal = { name: 'weekly', schedule: '0 8 * * 1', period: 'last_week', directory: { path: 'out' } };
const parse = (reports: unknown[], locale: 'zh-CN' | 'en' = 'zh-CN') =>
  parseDefinitions({ reports }, { timeZone: 'Asia/Shanghai', locale });

describe('report definitions', () => {
  it('fills the defaults: all sections, html and pdf, the centre time zone and language', () => {
    const [d] = parse([minimal]);
    expect(d).toMatchObject({
      name: 'weekly',
      title: 'weekly',
      locale: 'zh-CN',
      schedule: { cron: '0 8 * * 1', timezone: 'Asia/Shanghai' },
      sections: ['kpis', 'trends', 'complaints', 'sla', 'teams', 'retention', 'changes'],
      formats: ['html', 'pdf'],
      filters: {},
    });
  });

  it('writes a report in its own language, else in the configured one (CXPULSE_LOCALE)', () => {
    expect(parse([{ ...minimal, locale: 'en' }])[0]?.locale).toBe('en');
    expect(parse([{ ...minimal, locale: 'zh-CN' }], 'en')[0]?.locale).toBe('zh-CN');
    expect(parse([minimal], 'en')[0]?.locale).toBe('en');
  });

  it.each([['fr'], ['zh'], ['EN'], [''], [7]])(
    'refuses locale %j, naming the field and the languages',
    (v) => {
      expect(() => parse([{ ...minimal, locale: v }])).toThrow(
        /reports\[0\]\.locale: must be one of zh-CN, en/,
      );
    },
  );

  it('takes a filter as one value or a list', () => {
    const [d] = parse([{ ...minimal, filters: { region: 'north', team_id: ['t1', 't2'] } }]);
    expect(d?.filters).toEqual({ region: ['north'], team_id: ['t1', 't2'] });
  });

  it('takes a name, title and filters in Chinese', () => {
    const [d] = parse([
      {
        ...minimal,
        name: '华北-周报',
        title: '客户满意度 按团队',
        filters: { region: '华北', team_id: ['华北一组'] },
      },
    ]);
    expect(d).toMatchObject({
      name: '华北-周报',
      title: '客户满意度 按团队',
      filters: { region: ['华北'], team_id: ['华北一组'] },
    });
  });

  it.each([
    ['a bad cron', { schedule: 'every monday' }, /reports\[0\]\.schedule\.cron: must be a cron expression/],
    [
      'a bad time zone',
      { schedule: { cron: '0 8 * * 1', timezone: 'Mars/Olympus' } },
      /schedule\.timezone: must be an IANA time zone/,
    ],
    ['an unknown period', { period: 'last_year' }, /reports\[0\]\.period: /],
    ['an unknown section', { sections: ['kpis', 'weather'] }, /reports\[0\]\.sections\[1\]: /],
    [
      'an unknown KPI in trends',
      { trends: ['csat', 'happiness'] },
      /reports\[0\]\.trends\[1\]: is not a KPI/,
    ],
    ['an unknown dimension', { filters: { planet: 'earth' } }, /reports\[0\]\.filters/],
    [
      'a bad email address',
      { email: { to: ['not-an-address'] } },
      /reports\[0\]\.email\.to\[0\]: must be an email address/,
    ],
    [
      'a webhook that is not http(s)',
      { webhook: { url: 'ftp://x.example.com/' } },
      /reports\[0\]\.webhook\.url/,
    ],
    ['an unknown key', { colour: 'red' }, /reports\[0\]: .*colour/],
    ['a name with spaces', { name: 'Weekly Review' }, /reports\[0\]\.name: must be lower-case/],
    ['a name with a slash', { name: '华北/周报' }, /reports\[0\]\.name: must be lower-case/],
    [
      'a cron restricting day and weekday',
      { schedule: '0 8 1 * 1' },
      /must not restrict both the day of the month and the weekday/,
    ],
  ])('refuses %s, naming where', (_what, patch, message) => {
    expect(() => parse([{ ...minimal, ...patch }])).toThrow(message);
  });

  it('refuses a report that goes nowhere, and a name used twice', () => {
    const { directory: _, ...nowhere } = minimal;
    expect(() => parse([nowhere])).toThrow(/needs at least one of email, webhook, directory/);
    expect(() => parse([minimal, minimal])).toThrow(/reports\[1\]\.name: weekly is defined twice/);
  });

  it('reads no reports from an empty document', () => {
    expect(parseDefinitions(null, { timeZone: 'UTC', locale: 'en' })).toEqual([]);
    expect(parseDefinitions({}, { timeZone: 'UTC', locale: 'en' })).toEqual([]);
  });
});

describe('report periods (whole local days before the run)', () => {
  // 2026-03-02 is a Monday; at 01:00 in Shanghai it is still Sunday 1 March in UTC
  const mondayShanghai = new Date('2026-03-01T17:00:00Z');
  it.each([
    ['yesterday', { from: '2026-03-01', to: '2026-03-01' }],
    ['last_week', { from: '2026-02-23', to: '2026-03-01' }],
    ['last_month', { from: '2026-02-01', to: '2026-02-28' }],
    ['month_to_date', { from: '2026-03-01', to: '2026-03-01' }],
  ] as const)('%s, run Monday 2 March 01:00 in Shanghai', (kind, want) => {
    expect(periodFor(kind, mondayShanghai, ['Asia/Shanghai', 'Asia/Shanghai'])).toEqual(want);
  });

  it('takes "today" as the earliest date it is in the schedule and the centre time zones', () => {
    // the same instant is still Sunday 1 March in UTC: whichever of the two is the centre's, Sunday is today
    for (const zones of [
      ['UTC', 'Asia/Shanghai'],
      ['Asia/Shanghai', 'UTC'],
    ]) {
      expect(periodFor('yesterday', mondayShanghai, zones)).toEqual({ from: '2026-02-28', to: '2026-02-28' });
      expect(periodFor('last_week', mondayShanghai, zones)).toEqual({ from: '2026-02-16', to: '2026-02-22' });
    }
    // 00:30 UTC Tuesday is 16:30 Monday in Los Angeles: Monday is not over there, so yesterday is Sunday
    const tuesdayUtc = new Date('2026-03-03T00:30:00Z');
    expect(periodFor('yesterday', tuesdayUtc, ['UTC', 'America/Los_Angeles'])).toEqual({
      from: '2026-03-01',
      to: '2026-03-01',
    });
  });

  it('crosses years and leap days', () => {
    const jan1 = new Date('2025-01-01T08:00:00Z');
    expect(periodFor('last_month', jan1, ['UTC'])).toEqual({ from: '2024-12-01', to: '2024-12-31' });
    expect(periodFor('month_to_date', jan1, ['UTC'])).toEqual({ from: '2024-12-01', to: '2024-12-31' });
    expect(periodFor('last_month', new Date('2024-03-10T08:00:00Z'), ['UTC'])).toEqual({
      from: '2024-02-01',
      to: '2024-02-29',
    });
    // Thursday 2 January 2025: last week is Monday 23 to Sunday 29 December
    expect(periodFor('last_week', new Date('2025-01-02T08:00:00Z'), ['UTC'])).toEqual({
      from: '2024-12-23',
      to: '2024-12-29',
    });
  });

  it('parses --period, refusing what is not a period', () => {
    expect(parsePeriod('2026-01-05..2026-01-11', new Date(), ['UTC'])).toEqual({
      from: '2026-01-05',
      to: '2026-01-11',
      kind: 'custom',
    });
    expect(() => parsePeriod('last_year', new Date(), ['UTC'])).toThrow(/period: "last_year" is not/);
    expect(() => parsePeriod('2026-02-30..2026-03-01', new Date(), ['UTC'])).toThrow(/is not/);
    expect(() => parsePeriod('2026-03-02..2026-03-01', new Date(), ['UTC'])).toThrow(/is after/);
    expect(() => parsePeriod('2024-01-01..2026-01-01', new Date(), ['UTC'])).toThrow(/longer than a year/);
  });
});

describe('schedule slots', () => {
  const [d] = parse([{ ...minimal, schedule: { cron: '0 8 * * 1', timezone: 'Asia/Shanghai' } }]);
  const def = d as NonNullable<typeof d>;
  it('finds the last and next Monday 08:00 Shanghai (00:00 UTC)', () => {
    const wed = new Date('2026-03-04T12:00:00Z');
    expect(lastSlot(def, wed).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(nextSlot(def, wed).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    // at the slot itself, the slot is the last one
    expect(lastSlot(def, new Date('2026-03-02T00:00:00Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(runKeyOf('weekly', new Date('2026-03-02T00:00:00Z'))).toBe('weekly@2026-03-02T00:00:00.000Z');
  });
});

describe('webhook targets', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.10', 'private'],
    ['169.254.10.20', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
  ])('refuses %s (%s)', (address, range) => {
    expect(() => checkAddress(address, false)).toThrow(new RegExp(`is ${range}: not allowed`));
  });

  it('lets private addresses through only when configured, never unspecified or multicast ones', () => {
    expect(() => checkAddress('10.1.2.3', true)).not.toThrow();
    expect(() => checkAddress('127.0.0.1', true)).not.toThrow();
    expect(() => checkAddress('0.0.0.0', true)).toThrow(/unspecified/);
    expect(() => checkAddress('224.0.0.1', true)).toThrow(/multicast/);
    for (const metadata of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254'])
      expect(() => checkAddress(metadata, true)).toThrow(/cloud metadata service: never allowed/);
    expect(() => checkAddress('93.184.216.34', false)).not.toThrow();
    expect(() => checkAddress('2606:4700::1111', false)).not.toThrow();
  });

  it('allows only listed hosts, with *. for subdomains', () => {
    const allowed = ['hooks.example.com', '*.example.org'];
    expect(() => checkHost(new URL('https://hooks.example.com/x'), allowed)).not.toThrow();
    expect(() => checkHost(new URL('https://a.b.example.org/x'), allowed)).not.toThrow();
    expect(() => checkHost(new URL('https://example.org/x'), allowed)).toThrow(
      /not in WEBHOOK_ALLOWED_HOSTS/,
    );
    expect(() => checkHost(new URL('https://example.org.evil.com/x'), allowed)).toThrow(/not in/);
    expect(() => checkHost(new URL('https://evilexample.org/x'), allowed)).toThrow(/not in/);
    expect(() => checkHost(new URL('https://other.example.com/x'), allowed)).toThrow(/not in/);
    expect(() => checkHost(new URL('https://u:p@hooks.example.com/x'), allowed)).toThrow(/credentials/);
    expect(() => checkHost(new URL('https://hooks.example.com/x'), [])).toThrow(/not in/);
  });

  it('signs with HMAC-SHA256 over "<t>.<body>", and verifies within the tolerance only', () => {
    const at = new Date('2026-03-02T00:00:00Z');
    const body = '{"report":"weekly"}';
    const header = signWebhook('s3cret', body, at);
    const t = Math.floor(at.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex')}`);
    expect(verifyWebhook('s3cret', header, body, 300, at)).toBe(true);
    expect(verifyWebhook('s3cret', header, body, 300, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifyWebhook('s3cret', header, `${body} `, 300, at)).toBe(false);
    expect(verifyWebhook('other', header, body, 300, at)).toBe(false);
    expect(verifyWebhook('s3cret', 'garbage', body, 300, at)).toBe(false);
  });
});
