import { describe, expect, it } from 'vitest';
import { CATALOGUES, type Messages } from '../../../i18n/catalogues.ts';
import { LOCALES } from '../../../i18n/locales.ts';
import { translator } from '../../../i18n/translator.ts';
import { retentionDriversOf } from '../../../metrics/analysis/retention-drivers.ts';
import { CATALOG } from '../../../metrics/catalog/index.ts';

/**
 * Every KPI of the catalog and every retention-driver feature has its words in every language: title,
 * description, formula (and the target's source when it has a target) under `metrics:<name>.*`, the
 * feature under `metrics:drivers.<feature>`; the English words are the catalog's own.
 */

const FIELDS = ['title', 'description', 'formula'] as const;
// every feature, with its title, from the analysis itself (no customers: the statistics are empty)
const FEATURES = retentionDriversOf([], { from: '2026-01-01', to: '2026-01-31', horizonDays: 30 }).drivers;

const messages = (locale: (typeof LOCALES)[number]) => CATALOGUES[locale].metrics;
const text = (m: Messages, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (node, k) => (node && typeof node === 'object' ? (node as Messages)[k] : undefined),
    m,
  );

describe('metric texts', () => {
  it('lists the catalog and the features', () => {
    expect(CATALOG.length).toBeGreaterThan(15);
    expect(FEATURES.map((f) => f.feature)).toContain('had_complaint');
  });

  it.each(LOCALES.map((l) => [l]))(
    'every metric has its title, description, formula and target in %s',
    (l) => {
      const missing: string[] = [];
      for (const m of CATALOG) {
        const fields = m.target ? [...FIELDS, 'target'] : [...FIELDS];
        for (const f of fields) {
          const v = text(messages(l), m.name, f);
          if (typeof v !== 'string' || v.trim() === '') missing.push(`${m.name}.${f}`);
        }
      }
      expect(missing).toEqual([]);
    },
  );

  it.each(LOCALES.map((l) => [l]))('every retention-driver feature has its words in %s', (l) => {
    const missing = FEATURES.filter((f) => typeof text(messages(l), 'drivers', f.feature) !== 'string');
    expect(missing.map((f) => f.feature)).toEqual([]);
  });

  it('the English words are the catalog and the analysis verbatim', () => {
    for (const m of CATALOG) {
      expect(text(messages('en'), m.name, 'title'), m.name).toBe(m.title);
      expect(text(messages('en'), m.name, 'description'), m.name).toBe(m.description);
      expect(text(messages('en'), m.name, 'formula'), m.name).toBe(m.formula);
      if (m.target) expect(text(messages('en'), m.name, 'target'), m.name).toBe(m.target.source);
    }
    for (const f of FEATURES) expect(text(messages('en'), 'drivers', f.feature), f.feature).toBe(f.title);
  });

  it('names no metric the catalog does not have', () => {
    const names = new Set([...CATALOG.map((m) => m.name), 'drivers']);
    for (const l of LOCALES) expect(Object.keys(messages(l)).filter((k) => !names.has(k))).toEqual([]);
  });

  it('reads as Chinese in zh-CN through the translator', () => {
    const zh = translator('zh-CN');
    expect(zh.t('metrics:csat.title')).toBe('客户满意度（CSAT）');
    expect(zh.t('metrics:nps.title')).toBe('净推荐值（NPS）');
    expect(zh.t('metrics:fcr.title')).toContain('首次解决率');
    expect(zh.t('metrics:follow_up_48h.title')).toContain('48 小时回访率');
    expect(zh.t('metrics:answer_rate.title')).toContain('接通率');
    for (const m of CATALOG) expect(zh.t(`metrics:${m.name}.title`)).not.toBe(m.title);
  });
});
