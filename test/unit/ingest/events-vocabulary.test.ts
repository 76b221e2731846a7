import { describe, expect, it } from 'vitest';
import { createEventParser, decodeEvent, parseEvent } from '../../../ingest/events.ts';

/** `segment` against the configured list (createEventParser); the default parser keeps vip, regular, new. */
const upsert = (fields: Record<string, unknown>) => ({
  event_id: 'e1',
  type: 'customer.upserted',
  occurred_at: '2026-03-02T09:15:00+08:00',
  customer_id: 'c1',
  ...fields,
});

describe('configured segments', () => {
  const parser = createEventParser({ segments: ['重要客户', 'regular'] });

  it('accepts a configured Unicode segment', () => {
    const r = parser.parse(upsert({ segment: '重要客户', region: '华东' }));
    expect(r).toMatchObject({ ok: true, event: { segment: '重要客户', region: '华东' } });
  });

  it('refuses a segment outside the list, naming the field and the allowed values', () => {
    expect(parser.parse(upsert({ segment: 'vip' }))).toEqual({
      ok: false,
      errors: [{ field: 'segment', message: 'must be one of 重要客户, regular' }],
    });
  });

  it('decodes bytes with the same list', () => {
    const ok = parser.decode(Buffer.from(JSON.stringify(upsert({ segment: '重要客户' }))));
    expect(ok.ok).toBe(true);
    const bad = parser.decode(Buffer.from(JSON.stringify(upsert({ segment: 'new' }))));
    expect(bad).toMatchObject({ ok: false, errors: [{ field: 'segment' }] });
  });

  it('leaves the default parser with vip, regular, new', () => {
    expect(parseEvent(upsert({ segment: 'vip' })).ok).toBe(true);
    expect(parseEvent(upsert({ segment: '重要客户' }))).toEqual({
      ok: false,
      errors: [{ field: 'segment', message: 'must be one of vip, regular, new' }],
    });
    expect(decodeEvent(Buffer.from(JSON.stringify(upsert({ segment: 'new' })))).ok).toBe(true);
  });

  it('refuses an empty list', () => {
    expect(() => createEventParser({ segments: [] })).toThrow(/segment list is empty/);
  });
});

describe('Unicode names of teams, agents and regions', () => {
  it('accepts Chinese ids up to 128 characters', () => {
    const opened = {
      event_id: 'e2',
      type: 'interaction.opened',
      occurred_at: '2026-03-02T09:15:00+08:00',
      interaction_id: 'i1',
      customer_id: '客户-1',
      channel: 'phone',
      category: 'inquiry',
      team_id: '华东二组',
      agent_id: '张伟',
      subject: '宽带故障报修',
    };
    expect(parseEvent(opened)).toMatchObject({ ok: true, event: { team_id: '华东二组', agent_id: '张伟' } });
    expect(parseEvent({ ...opened, team_id: '组'.repeat(128) }).ok).toBe(true);
    expect(parseEvent({ ...opened, team_id: '组'.repeat(129) })).toMatchObject({
      ok: false,
      errors: [{ field: 'team_id', message: 'must be at most 128 characters' }],
    });
  });
});
