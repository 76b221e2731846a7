import { readFileSync } from 'node:fs';
import { CxError } from './errors.ts';
import { alertKeys, alerts } from './config/alerts.ts';
import { clickhouse, clickhouseKeys } from './config/clickhouse.ts';
import { general, generalKeys } from './config/general.ts';
import { http, httpKeys } from './config/http.ts';
import { ingest, ingestKeys } from './config/ingest.ts';
import { kafka, kafkaKeys } from './config/kafka.ts';
import type { KeySpec, Values } from './config/keys.ts';
import {
  policy,
  policyKeys,
  rollupKeys,
  rollups,
  targetBaseline,
  targetKeys,
  targets,
} from './config/kpi.ts';
import { publicUrl, reportKeys, reports } from './config/reports.ts';
import { sample, sampleKeys } from './config/sample.ts';
import { sql, sqlKeys } from './config/sql.ts';
import { vocabulary, vocabularyKeys } from './config/vocabulary.ts';

/**
 * cxpulse configuration: environment variables, optionally preceded by a JSON file named by
 * `CXPULSE_CONFIG` holding the same keys (the environment wins). Parsed once at start-up; an invalid
 * value fails fast with an error that names the key. Every key is declared once, in the section file of
 * `config/` that maps it into its part of {@link Config}, with its default, meaning and schema;
 * {@link CONFIG_KEYS} lists them all, and the README's configuration table is checked against that list
 * by a test. `Config` is inferred from the sections, so a key is written where it is declared and where
 * it is mapped, nowhere else.
 */

export { ROLES, type Role, type TrustProxy } from './config/http.ts';
export { timeZone } from './config/keys.ts';
export type { NameLocale, Names, NamedDimension, SegmentSpec } from './config/vocabulary.ts';

/** Every configuration key, its default and what it does (in the order of the README's table). */
export const CONFIG_KEYS = {
  ...generalKeys,
  ...clickhouseKeys,
  ...kafkaKeys,
  ...httpKeys,
  ...targetKeys,
  ...ingestKeys,
  ...sampleKeys,
  ...policyKeys,
  ...sqlKeys,
  ...rollupKeys,
  ...reportKeys,
  ...alertKeys,
  ...vocabularyKeys,
};

export type ConfigKey = keyof typeof CONFIG_KEYS;

export type Config = ReturnType<typeof toConfig>;

/** Parse configuration from an environment (default `process.env`). Throws `config_invalid` naming the key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const source = readFile(env['CXPULSE_CONFIG']);
  for (const k of Object.keys(CONFIG_KEYS)) {
    const v = env[k];
    if (v !== undefined && v !== '') source[k] = v;
  }

  const raw: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    const value = source[k] ?? spec.default;
    if (value === undefined) continue;
    const res = spec.schema.safeParse(value);
    if (!res.success) {
      const why = res.error.issues.map((i) => i.message).join('; ');
      throw new CxError('config_invalid', `${k}=${JSON.stringify(value)} is invalid: ${why}`);
    }
    raw[k] = res.data;
  }
  return toConfig(raw as Values<typeof CONFIG_KEYS>);
}

/** The keys of the JSON file named by CXPULSE_CONFIG, as text; none without a file. */
function readFile(file: string | undefined): Record<string, string | undefined> {
  const source: Record<string, string | undefined> = {};
  if (!file) return source;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CxError('config_invalid', `CXPULSE_CONFIG: cannot read ${file} as JSON: ${String(err)}`, {
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CxError('config_invalid', `CXPULSE_CONFIG: ${file} must hold a JSON object of KEY: value`);
  }
  for (const [k, v] of Object.entries(parsed)) {
    if (!(k in CONFIG_KEYS))
      throw new CxError('config_invalid', `${k} (in ${file}): unknown configuration key`);
    source[k] = v === null ? undefined : String(v);
  }
  return source;
}

function toConfig(v: Values<typeof CONFIG_KEYS>) {
  const base = general(v);
  const url = publicUrl(v);
  return {
    ...base,
    clickhouse: clickhouse(v, base.dataDir),
    kafka: kafka(v, base.dataDir),
    http: http(v, v.CXPULSE_PUBLIC_URL),
    targets: targets(v),
    /** The baseline period of relative targets; null = the 90 days before the current quarter. */
    targetBaseline: targetBaseline(v),
    ingest: ingest(v),
    sample: sample(v),
    policy: policy(v),
    rollups: rollups(v),
    sql: sql(v),
    /** Where people open cxpulse (links in reports). */
    publicUrl: url,
    reports: reports(v),
    /** The alert rules file (ALERTS_FILE) and the live rules' interval. */
    alerts: alerts(v),
    /** The centre's segments and display names. */
    vocabulary: vocabulary(v),
  };
}
