import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../metrics/catalog.ts';
import { factsCurrent, rollupFingerprint } from '../../../metrics/query/rollup-state.ts';
import { testConfig } from '../../helpers/env.ts';

/**
 * The refresh's fingerprint `facts.rollups`: what decides between a full rebuild (the facts' part:
 * time zone, SLA policy) and every day's rollups rebuilt from the stored facts (the rollups' part: the
 * catalog's metrics).
 */
describe('the rollups fingerprint', () => {
  const cfg = testConfig({ CXPULSE_TIMEZONE: 'Asia/Shanghai' });
  const [facts, rollups] = rollupFingerprint(cfg).split('.');

  it('keeps the facts part when only the catalog changes', () => {
    const fewer = rollupFingerprint(cfg, CATALOG.slice(1));
    expect(fewer.split('.')).toEqual([facts, expect.not.stringMatching(rollups as string)]);
    expect(factsCurrent(fewer, cfg)).toBe(true);
  });

  it('changes the facts part with the time zone or the SLA policy', () => {
    const tokyo = testConfig({ CXPULSE_TIMEZONE: 'Asia/Tokyo' });
    expect(rollupFingerprint(tokyo).split('.')[0]).not.toBe(facts);
    expect(factsCurrent(rollupFingerprint(tokyo), cfg)).toBe(false);
    const strict = testConfig({ CXPULSE_TIMEZONE: 'Asia/Shanghai', SLA_URGENT_SECONDS: '1800' });
    expect(factsCurrent(rollupFingerprint(strict), cfg)).toBe(false);
  });

  it('takes a single hash of another format as stale facts', () => {
    expect(factsCurrent('0123456789abcdef', cfg)).toBe(false);
  });
});
