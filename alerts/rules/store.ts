import { parse as parseYaml } from 'yaml';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { CxError } from '../../infra/errors.ts';
import { clickHouseTime } from '../../infra/time.ts';
import { parseRules, type AlertRules, type RuleDefaults } from './definitions.ts';

/**
 * The rules as editors keep them (`alert_rule_versions`, migration 012): every save is a new version of
 * the whole document (`channels:` and `alerts:` as the file writes them, stored as JSON) with who, when
 * and a comment; the current rules are the highest version. With none stored, the rules file is
 * version 1, by no one. A save names the version it edited (`if_version`): a later one stored meanwhile
 * makes it a `conflict`. Every version is validated with `parseRules` before it is written, so the
 * mistakes are named with their place (`alerts[2].for: …`). Saves of this process are taken one at a
 * time, so the check and the write cannot interleave here.
 */

/** The document as written: `channels:` (named destinations) and `alerts:` (the rules), unparsed. */
export interface RulesDocument {
  channels: Record<string, unknown>;
  alerts: Record<string, unknown>[];
}

export interface RulesVersion {
  version: number;
  document: RulesDocument;
  /** the document validated: rules with their defaults, destinations */
  parsed: AlertRules;
  /** who saved it (the caller's id); null for the file's version 1 */
  changed_by: string | null;
  /** ISO 8601 UTC; null for the file's version 1 */
  changed_at: string | null;
  comment: string;
}

/** What validation takes from the configuration: the default language, and http for local receivers. */
export function ruleDefaults(cfg: Config): RuleDefaults {
  return { locale: cfg.vocabulary.locale, allowHttp: cfg.reports.webhook.allowPrivate };
}

/** The rules file's text as a document (a missing or empty file is no rules). */
export function documentOf(fileText: string, source = 'ALERTS_FILE'): RulesDocument {
  let doc: unknown;
  try {
    doc = parseYaml(fileText);
  } catch (err) {
    throw new CxError('alert_invalid', `${source}: not valid YAML: ${String(err)}`, { cause: err });
  }
  const o = (doc ?? {}) as Partial<RulesDocument>;
  if (typeof o !== 'object' || Array.isArray(o))
    throw new CxError('alert_invalid', `${source}: must be a mapping with channels: and alerts:`);
  return { channels: o.channels ?? {}, alerts: Array.isArray(o.alerts) ? o.alerts : [] };
}

/** Validate a document; throws `alert_invalid` naming every mistake with its place. */
export function validate(doc: RulesDocument, cfg: Config): AlertRules {
  return parseRules(doc, ruleDefaults(cfg), 'alerts');
}

interface StoredRow {
  version: string | number;
  document: string;
  changed_by: string;
  changed_at_ms: string | number;
  comment: string;
}

async function readVersions(client: ClickHouseClient, cfg: Config, latest: boolean): Promise<StoredRow[]> {
  const rs = await client.query({
    query: `SELECT version, document, changed_by, toUnixTimestamp64Milli(changed_at) AS changed_at_ms, comment
            FROM ${cfg.clickhouse.database}.alert_rule_versions
            ORDER BY version DESC, changed_at DESC ${latest ? 'LIMIT 1' : ''}`,
    format: 'JSONEachRow',
  });
  return rs.json<StoredRow>();
}

/** The current rules: the latest saved version, else the rules file's text as version 1. */
export async function currentRules(
  client: ClickHouseClient,
  cfg: Config,
  fileText: string,
): Promise<RulesVersion> {
  const [row] = await readVersions(client, cfg, true);
  if (!row) {
    const document = documentOf(fileText);
    return {
      version: 1,
      document,
      parsed: validate(document, cfg),
      changed_by: null,
      changed_at: null,
      comment: '',
    };
  }
  const document = JSON.parse(row.document) as RulesDocument;
  return {
    version: Number(row.version),
    document,
    parsed: validate(document, cfg),
    changed_by: row.changed_by,
    changed_at: new Date(Number(row.changed_at_ms)).toISOString(),
    comment: row.comment,
  };
}

/** Every saved version (who, when, comment, how many rules), newest first, down to the file's version 1. */
export async function rulesHistory(
  client: ClickHouseClient,
  cfg: Config,
  fileText: string,
): Promise<
  { version: number; changed_by: string | null; changed_at: string | null; comment: string; rules: number }[]
> {
  const rows = await readVersions(client, cfg, false);
  const out = rows.map((r) => ({
    version: Number(r.version),
    changed_by: r.changed_by,
    changed_at: new Date(Number(r.changed_at_ms)).toISOString(),
    comment: r.comment,
    rules: (JSON.parse(r.document) as RulesDocument).alerts.length,
  }));
  return out.some((v) => v.version === 1)
    ? out
    : [
        ...out,
        {
          version: 1,
          changed_by: null,
          changed_at: null,
          comment: '',
          rules: documentOf(fileText).alerts.length,
        },
      ];
}

let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

export interface RulesEdit {
  /** the version the edit was made on */
  ifVersion: number;
  /** the whole document after the edit, computed from the current one */
  change: (current: RulesDocument) => RulesDocument;
  by: string;
  comment: string;
}

/**
 * Save an edit as the next version: `conflict` when it was made on an older version than the current
 * one, `alert_invalid` (naming each place) when the resulting document does not validate.
 */
export function saveRules(
  client: ClickHouseClient,
  cfg: Config,
  fileText: string,
  edit: RulesEdit,
): Promise<RulesVersion> {
  return oneAtATime(async () => {
    const current = await currentRules(client, cfg, fileText);
    if (edit.ifVersion !== current.version) {
      const by =
        current.changed_by === null ? 'the rules file' : `${current.changed_by} at ${current.changed_at}`;
      throw new CxError(
        'conflict',
        `if_version: you edited version ${edit.ifVersion}, but version ${current.version} (${by}) is current; reload and edit it`,
        { details: { parameter: 'if_version', current_version: current.version } },
      );
    }
    const document = edit.change(current.document);
    const parsed = validate(document, cfg);
    const next: RulesVersion = {
      version: current.version + 1,
      document,
      parsed,
      changed_by: edit.by,
      changed_at: new Date().toISOString(),
      comment: edit.comment,
    };
    await client.insert({
      table: `${cfg.clickhouse.database}.alert_rule_versions`,
      values: [
        {
          version: next.version,
          document: JSON.stringify(document),
          changed_by: edit.by,
          changed_at: clickHouseTime(next.changed_at as string),
          comment: edit.comment,
        },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    });
    return next;
  });
}
