import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';

/** CUSTOMER_SEGMENTS and DISPLAY_NAMES (infra/config/vocabulary.ts): good values, and bad ones named. */
const refused = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  throw new Error('the configuration was accepted');
};

describe('CUSTOMER_SEGMENTS', () => {
  it('defaults to vip, regular, new with Chinese and English names', () => {
    expect(loadConfig({}).vocabulary.segments).toEqual([
      { key: 'vip', names: { 'zh-CN': '重要客户', en: 'VIP' } },
      { key: 'regular', names: { 'zh-CN': '普通客户', en: 'Regular' } },
      { key: 'new', names: { 'zh-CN': '新客户', en: 'New' } },
    ]);
  });

  it('takes JSON with Unicode keys, names as one string or per language (a missing one is the key)', () => {
    const cfg = loadConfig({
      CUSTOMER_SEGMENTS: JSON.stringify({
        重要客户: { 'zh-CN': '重要客户', en: 'Key account' },
        growth: '成长客户',
        dormant: { en: 'Dormant' },
        plain: null,
      }),
    });
    expect(cfg.vocabulary.segments).toEqual([
      { key: '重要客户', names: { 'zh-CN': '重要客户', en: 'Key account' } },
      { key: 'growth', names: { 'zh-CN': '成长客户', en: '成长客户' } },
      { key: 'dormant', names: { 'zh-CN': 'dormant', en: 'Dormant' } },
      { key: 'plain', names: { 'zh-CN': 'plain', en: 'plain' } },
    ]);
  });

  it('takes a comma list of keys, trimmed, names = keys', () => {
    expect(
      loadConfig({ CUSTOMER_SEGMENTS: ' 高价值 , 普通,new ' }).vocabulary.segments.map((s) => s.key),
    ).toEqual(['高价值', '普通', 'new']);
  });

  it.each([
    ['vip,,new', /CUSTOMER_SEGMENTS=.*segment key must not be empty/],
    [' , ', /CUSTOMER_SEGMENTS=.*must not be empty/],
    ['vip, regular, vip', /CUSTOMER_SEGMENTS=.*segment "vip" is listed twice/],
    [`${'客'.repeat(65)}`, /CUSTOMER_SEGMENTS=.*longer than 64 characters/],
    ['{}', /CUSTOMER_SEGMENTS=.*at least one segment/],
    ['{"vip": ', /CUSTOMER_SEGMENTS=.*must be a JSON object .* or a comma-separated list/],
    ['{"vip": 3}', /CUSTOMER_SEGMENTS=.*display names are a string or/],
    ['{"vip": {"fr": "x"}}', /CUSTOMER_SEGMENTS=.*display names are/],
    ['{"vip": ""}', /CUSTOMER_SEGMENTS=.*display name must not be empty/],
    [`{"vip": {"en": "${'x'.repeat(129)}"}}`, /CUSTOMER_SEGMENTS=.*longer than 128 characters/],
  ])('refuses %j naming the key', (value, message) => {
    const e = refused({ CUSTOMER_SEGMENTS: value });
    expect(e.code).toBe('config_invalid');
    expect(e.message).toMatch(message);
  });

  it('accepts a 64-character key', () => {
    const key = '客'.repeat(64);
    expect(loadConfig({ CUSTOMER_SEGMENTS: key }).vocabulary.segments[0]?.key).toBe(key);
  });
});

describe('DISPLAY_NAMES', () => {
  it('defaults to no names', () => {
    expect(loadConfig({}).vocabulary.displayNames).toEqual({ team_id: {}, agent_id: {}, region: {} });
  });

  it('maps stored values of teams, agents and regions to names in both languages', () => {
    const cfg = loadConfig({
      DISPLAY_NAMES: JSON.stringify({
        team_id: { t2: { 'zh-CN': '华东二组', en: 'East 2' }, 华东二组: { en: 'East 2' } },
        region: { east: '华东' },
      }),
    });
    expect(cfg.vocabulary.displayNames).toEqual({
      team_id: {
        t2: { 'zh-CN': '华东二组', en: 'East 2' },
        华东二组: { 'zh-CN': '华东二组', en: 'East 2' },
      },
      agent_id: {},
      region: { east: { 'zh-CN': '华东', en: '华东' } },
    });
  });

  it.each([
    ['[', /DISPLAY_NAMES=.*must be a JSON object/],
    ['[]', /DISPLAY_NAMES=.*must be a JSON object of team_id, agent_id, region/],
    ['{"channel": {}}', /DISPLAY_NAMES=.*keys must be team_id, agent_id, region/],
    ['{"team_id": {"t2": 5}}', /DISPLAY_NAMES=.*team_id\.t2: display names are a string or/],
    ['{"region": {"east": {"zh-CN": ""}}}', /DISPLAY_NAMES=.*region\.east.*must not be empty/],
  ])('refuses %j naming the key and the entry', (value, message) => {
    const e = refused({ DISPLAY_NAMES: value });
    expect(e.code).toBe('config_invalid');
    expect(e.message).toMatch(message);
  });
});
