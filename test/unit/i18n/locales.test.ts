import { describe, expect, it } from 'vitest';
import { localeOfAcceptLanguage, pickLocale } from '../../../i18n/locales.ts';
import { translator } from '../../../i18n/translator.ts';

describe('the reader language', () => {
  it.each([
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['en-US,en;q=0.9', 'en'],
    ['en;q=0.5, zh;q=0.8', 'zh-CN'],
    ['fr-FR, en;q=0.3', 'en'],
    ['de, zh;q=0', null],
    ['*', null],
    ['', null],
    [undefined, null],
  ])('Accept-Language %s → %s', (header, want) => {
    expect(localeOfAcceptLanguage(header)).toBe(want);
  });

  it('a remembered choice wins, then the browser, then the centre default', () => {
    expect(pickLocale('en', 'zh-CN', 'zh-CN')).toBe('en');
    expect(pickLocale('klingon', 'en-GB', 'zh-CN')).toBe('en');
    expect(pickLocale(null, 'fr', 'zh-CN')).toBe('zh-CN');
  });
});

describe('the translator', () => {
  const names = {
    segments: [{ key: 'vip', names: { 'zh-CN': '重要客户', en: 'VIP' } }],
    display_names: { team_id: { t2: { 'zh-CN': '华东二组', en: 'East 2' } } },
  };

  it('writes stored values as people read them, configured names first', () => {
    const zh = translator('zh-CN', names);
    expect(zh.label('segment', 'vip')).toBe('重要客户');
    expect(zh.label('team_id', 't2')).toBe('华东二组');
    expect(zh.label('team_id', 't9')).toBe('t9');
    expect(zh.label('channel', 'phone')).toBe('电话');
    expect(zh.label('severity', 'crisis')).toBe('危机');
    expect(zh.label('channel', 'pigeon')).toBe('pigeon');
    expect(translator('en', names).label('team_id', 't2')).toBe('East 2');
    expect(translator('en', names).label('channel', 'self_service')).toBe('Self-service');
  });

  it('formats numbers and days through Intl in the reader language', () => {
    expect(translator('zh-CN').number(1234567.5)).toBe('1,234,567.5');
    expect(translator('zh-CN').date('2026-03-05', { dateStyle: 'long' })).toBe('2026年3月5日');
    expect(translator('en').date('2026-03-05', { dateStyle: 'long' })).toBe('March 5, 2026');
  });

  it('interpolates', () => {
    expect(translator('zh-CN').t('errors:http', { status: 502 })).toBe('服务器返回错误（502）。');
    expect(translator('en').t('shell.forbidden', { role: 'admin' })).toBe('This page needs the admin role.');
  });
});
