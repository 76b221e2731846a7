import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../../infra/config.ts';
import { CxError } from '../../../infra/errors.ts';

describe('configuration', () => {
  it('has a documented default for the local mode', () => {
    const cfg = loadConfig({});
    expect(cfg.clickhouse.url).toBeUndefined();
    expect(cfg.kafka.brokers).toBeUndefined();
    expect(cfg.clickhouse.database).toBe('cxpulse');
    expect(cfg.timeZone).toBe('UTC');
    expect(cfg.ingest.batchSize).toBe(20000);
    expect(cfg.policy).toEqual({
      firstResponseSeconds: { chat: 15, social: 15, phone: 30, email: 14400, '*': 86400 },
      urgentSeconds: 3600,
      resolutionTargetHours: 24,
      fcrRepeatWindowDays: 7,
    });
  });

  it('parses every kind of value', () => {
    const cfg = loadConfig({
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      CLICKHOUSE_URL: 'https://ch.example:8443',
      CXPULSE_TIMEZONE: 'Asia/Shanghai',
      CXPULSE_INGEST_TOKENS: 'a,b',
    });
    expect(cfg.kafka.brokers).toEqual(['k1:9092', 'k2:9093']);
    expect(cfg.kafka.ssl).toBe(true);
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: '' });
    expect(cfg.timeZone).toBe('Asia/Shanghai');
    expect(cfg.http.ingestTokens).toEqual(['a', 'b']);
  });

  it('reads the rollup refresh schedule, or off', () => {
    expect(loadConfig({}).rollups.schedule).toBe('*/15 * * * * *');
    expect(loadConfig({ ROLLUP_REFRESH_SCHEDULE: '0 */5 * * * *' }).rollups.schedule).toBe('0 */5 * * * *');
    expect(loadConfig({ ROLLUP_REFRESH_SCHEDULE: 'off' }).rollups.schedule).toBeNull();
  });

  it('reads METRICS_KPIS: off by default, on, nothing else', () => {
    expect(loadConfig({}).rollups.kpiMetrics).toBe(false);
    expect(loadConfig({ METRICS_KPIS: 'on' }).rollups.kpiMetrics).toBe(true);
    expect(() => loadConfig({ METRICS_KPIS: 'yes' })).toThrow(/METRICS_KPIS.*must be on or off/);
  });

  it('reads the proxy trust, the allowed origins and the session settings', () => {
    const d = loadConfig({}).http;
    expect(d.trustProxy).toBe(false);
    expect(d.allowedOrigins).toEqual(['http://localhost:8080']); // the public URL's
    expect(d.failedTokenLimit).toBe(20);
    expect(d.sessionRevocationRefreshMs).toBe(10_000);
    const trust = (v: string) => loadConfig({ HTTP_TRUST_PROXY: v }).http.trustProxy;
    expect(trust('true')).toBe(true);
    expect(trust('1')).toBe(1);
    expect(trust('loopback, 10.0.0.0/8,2001:db8::1')).toEqual(['loopback', '10.0.0.0/8', '2001:db8::1']);
    const o = loadConfig({
      CXPULSE_PUBLIC_URL: 'https://cx.example.com/app/',
      HTTP_ALLOWED_ORIGINS: 'https://admin.example.com, HTTPS://CX.example.com:443',
    }).http.allowedOrigins;
    expect(o).toEqual(['https://cx.example.com', 'https://admin.example.com']);
  });

  it.each([
    ['HTTP_TRUST_PROXY', 'yes please'],
    ['HTTP_TRUST_PROXY', '10.0.0.0/99'],
    ['HTTP_TRUST_PROXY', '-1'],
    ['HTTP_ALLOWED_ORIGINS', 'https://cx.example.com/path'],
    ['HTTP_ALLOWED_ORIGINS', 'cx.example.com'],
    ['AUTH_FAILED_TOKEN_LIMIT', '0'],
    ['SESSION_REVOCATION_REFRESH_SECONDS', 'often'],
    ['HTTP_PORT', '70000'],
    ['CXPULSE_TIMEZONE', 'Mars/Olympus'],
    ['CLICKHOUSE_DATABASE', 'drop table;'],
    ['KAFKA_BROKERS', 'no-port'],
    ['INGEST_BATCH_SIZE', 'lots'],
    ['KAFKA_SSL', 'maybe'],
    ['CLICKHOUSE_URL', 'not a url'],
    ['SLA_FIRST_RESPONSE_SECONDS', '{"fax":3,"*":60}'],
    ['SLA_FIRST_RESPONSE_SECONDS', '{"chat":15}'],
    ['FCR_REPEAT_WINDOW_DAYS', '-1'],
    ['ROLLUP_REFRESH_SCHEDULE', 'every minute'],
    ['ROLLUP_REFRESH_SCHEDULE', '*/15 * * * * * *'],
  ])('fails fast naming %s for %j', (key, value) => {
    try {
      loadConfig({ [key]: value });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CxError);
      expect((err as CxError).code).toBe('config_invalid');
      expect((err as CxError).message).toContain(key);
    }
  });

  it('reads a JSON file that the environment overrides', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cxcfg-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ HTTP_PORT: 9000, KAFKA_GROUP_ID: 'from-file' }));
    const cfg = loadConfig({ CXPULSE_CONFIG: file, HTTP_PORT: '9100' });
    expect(cfg.http.port).toBe(9100);
    expect(cfg.kafka.groupId).toBe('from-file');
    writeFileSync(file, JSON.stringify({ HTTP_PROT: 1 }));
    expect(() => loadConfig({ CXPULSE_CONFIG: file })).toThrow(/HTTP_PROT.*unknown configuration key/);
  });

  it('every key is in the README configuration table', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../../README.md'), 'utf8');
    for (const key of Object.keys(CONFIG_KEYS)) expect(readme, key).toContain(`| \`${key}\``);
  });

  it('the README configuration table gives every key its default', () => {
    const rows = readFileSync(path.join(import.meta.dirname, '../../../README.md'), 'utf8').split('\n');
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      const row = rows.find((l) => l.startsWith(`| \`${key}\` |`)) ?? '';
      const cell = row.split(' | ')[1];
      const d = (spec as { default?: string }).default;
      expect(cell, key).toBe(d === undefined ? '_unset_' : d === '' ? '_empty_' : `\`${d}\``);
    }
  });
});
