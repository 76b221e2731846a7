import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { CxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';

/**
 * Numbered ClickHouse migrations (`NNN_name.sql` in ./migrations). Each is applied once, in order, and
 * recorded with a SHA-256 of its text; an applied migration whose file was edited since is refused
 * (write a new migration instead). `{{db}}` in a file stands for the configured database.
 */

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

const FILE_RE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Read and check the migration files: numbered 001.. without gaps or duplicates. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = FILE_RE.exec(file);
    if (!m)
      throw new CxError('migration_invalid', `${file}: migration files must be named NNN_snake_case.sql`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2] as string,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  out.forEach((mig, i) => {
    if (mig.version !== i + 1) {
      const prev = out[i - 1];
      const why =
        prev && prev.version === mig.version
          ? `duplicates ${prev.file}`
          : `expected number ${String(i + 1).padStart(3, '0')}`;
      throw new CxError(
        'migration_invalid',
        `${mig.file}: ${why} (migrations are numbered 001, 002, … without gaps)`,
      );
    }
  });
  return out;
}

/** Split a migration into statements: `;` at the end of a line ends one. Comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) =>
      s
        .split('\n')
        .filter((l) => !/^\s*--/.test(l))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

/** Bring the database up to date. Safe to run concurrently with readers; run one migrator at a time. */
export async function migrate(
  client: ClickHouseClient,
  database: string,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrateResult> {
  const log = logger('migrate');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new CxError('config_invalid', `CLICKHOUSE_DATABASE=${database} must be a plain identifier`);
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  });
  const rs = await client.query({
    query: `SELECT version, name, checksum FROM ${database}.schema_migrations ORDER BY version`,
    format: 'JSONEachRow',
  });
  const done = new Map(
    (await rs.json<{ version: number; name: string; checksum: string }>()).map((r) => [Number(r.version), r]),
  );

  const applied: string[] = [];
  for (const mig of migrations) {
    const prior = done.get(mig.version);
    if (prior) {
      if (prior.checksum !== mig.checksum) {
        throw new CxError(
          'migration_checksum_mismatch',
          `${mig.file} was edited after it was applied (checksum ${prior.checksum.slice(0, 12)}… recorded, ${mig.checksum.slice(0, 12)}… on disk); add a new migration instead`,
        );
      }
      continue;
    }
    const started = Date.now();
    for (const stmt of splitStatements(mig.sql.replaceAll('{{db}}', database))) {
      await client.command({ query: stmt });
    }
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: mig.version, name: mig.name, checksum: mig.checksum }],
      format: 'JSONEachRow',
    });
    applied.push(mig.file);
    log.info(
      { event_name: 'migration_applied', file: mig.file, ms: Date.now() - started },
      `applied ${mig.file}`,
    );
  }
  return { applied, alreadyApplied: migrations.length - applied.length };
}
