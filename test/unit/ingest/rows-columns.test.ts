import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLUMNS, ENVELOPE, RAW_TABLES } from '../../../ingest/rows.ts';

/**
 * The raw tables' columns are written in the migration (the schema) and in ingest/rows.ts (the
 * mapping of event fields onto it). This keeps the two equal: every column of a raw table is an event
 * field of the envelope or of the mapping, or one of the ingester's own (`_topic`, …), and back.
 */
const sql = readFileSync(
  path.join(import.meta.dirname, '../../../transforms/migrations/001_raw_events.sql'),
  'utf8',
);

function columnsOf(table: string): string[] {
  const m = new RegExp(`CREATE TABLE IF NOT EXISTS \\{\\{db\\}\\}\\.${table}\\s*\\(([\\s\\S]*?)\\n\\)`).exec(
    sql,
  );
  if (!m) throw new Error(`no CREATE TABLE for ${table}`);
  return (m[1] as string)
    .split('\n')
    .map((l) => /^\s*([a-z_]+)\s+\S/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
}

describe('raw table columns', () => {
  it.each(Object.entries(RAW_TABLES))('%s: the mapping covers exactly the table', (kind, table) => {
    const fromEvents = [...ENVELOPE, ...COLUMNS[kind as keyof typeof COLUMNS]];
    const ingesters = ['_topic', '_partition', '_offset', '_ingested_at'];
    expect(new Set(columnsOf(table))).toEqual(new Set([...fromEvents, ...ingesters]));
  });
});
