import { cpSync, mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../../infra/clickhouse.ts';
import { CxError } from '../../../infra/errors.ts';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../../transforms/migrate.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

const cfg = testConfig(testEnv());
const ch = createClickHouse(cfg.clickhouse);
afterAll(() => ch.close());

describe('migrations against the real engine', () => {
  it('applies each migration once, records its checksum, and refuses one edited after it was applied', async () => {
    const db = cfg.clickhouse.database;
    const first = await migrate(ch, db);
    expect(first.applied).toEqual(loadMigrations().map((m) => m.file));
    const again = await migrate(ch, db);
    expect(again).toEqual({ applied: [], alreadyApplied: first.applied.length });

    const rs = await ch.query({
      query: `SELECT version, name, checksum FROM ${db}.schema_migrations ORDER BY version`,
      format: 'JSONEachRow',
    });
    const recorded = await rs.json<{ version: number; name: string; checksum: string }>();
    expect(recorded.map((r) => r.checksum)).toEqual(loadMigrations().map((m) => m.checksum));

    const edited = mkdtempSync(path.join(tmpdir(), 'cxmig-edit-'));
    cpSync(MIGRATIONS_DIR, edited, { recursive: true });
    appendFileSync(path.join(edited, '002_interaction_facts.sql'), '\n-- an innocent-looking edit\n');
    const err = await migrate(ch, db, loadMigrations(edited)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CxError);
    expect((err as CxError).code).toBe('migration_checksum_mismatch');
    expect((err as CxError).message).toMatch(/002_interaction_facts\.sql was edited after it was applied/);
  });

  it('a new migration is applied on top of the recorded ones', async () => {
    const db = `${cfg.clickhouse.database}_b`;
    await migrate(ch, db);
    const dir = mkdtempSync(path.join(tmpdir(), 'cxmig-new-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const next = String(loadMigrations().length + 1).padStart(3, '0');
    appendFileSync(
      path.join(dir, `${next}_extra.sql`),
      'CREATE TABLE IF NOT EXISTS {{db}}.extra (x UInt8) ENGINE = MergeTree ORDER BY x;\n',
    );
    const res = await migrate(ch, db, loadMigrations(dir));
    expect(res.applied).toEqual([`${next}_extra.sql`]);
    const rs = await ch.query({ query: `EXISTS TABLE ${db}.extra`, format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ result: 1 }]);
  });
});
