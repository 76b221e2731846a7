import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, splitStatements } from '../../../transforms/migrate.ts';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cxmig-'));
  for (const [f, s] of Object.entries(files)) writeFileSync(path.join(dir, f), s);
  return dir;
}

describe('migration files', () => {
  it('the project migrations are numbered without gaps or duplicates', () => {
    const migs = loadMigrations();
    expect(migs.length).toBeGreaterThan(0);
    migs.forEach((m, i) => expect(m.version).toBe(i + 1));
    for (const m of migs) expect(m.sql).toContain('{{db}}');
  });

  it('refuses a gap', () => {
    expect(() => loadMigrations(dirWith({ '001_a.sql': 'SELECT 1;', '003_c.sql': 'SELECT 1;' }))).toThrow(
      /003_c.sql: expected number 002/,
    );
  });

  it('refuses a duplicate number', () => {
    expect(() => loadMigrations(dirWith({ '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 2;' }))).toThrow(
      /duplicates 001_a.sql/,
    );
  });

  it('refuses a badly named file', () => {
    expect(() => loadMigrations(dirWith({ '1_a.sql': 'SELECT 1;' }))).toThrow(/NNN_snake_case/);
  });

  it('splits statements at a semicolon that ends a line and drops comment lines', () => {
    expect(splitStatements("-- c\nCREATE TABLE a (x String DEFAULT ';');\n\nSELECT 2;\n")).toEqual([
      "CREATE TABLE a (x String DEFAULT ';')",
      'SELECT 2',
    ]);
  });
});
