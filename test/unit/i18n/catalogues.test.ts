import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, NAMESPACES, type Messages } from '../../../i18n/catalogues.ts';
import { LOCALES } from '../../../i18n/locales.ts';
import { PROPER_NOUNS } from '../../helpers/proper-nouns.ts';

/**
 * The catalogues are complete: every key in both languages with the same placeholders, no empty
 * message, no English left in the Chinese one (beyond the names below), and every key the code asks
 * for by name exists.
 */

const PROPER = PROPER_NOUNS;

function flatten(m: Messages, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(m)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

/** `key_one`, `key_other`, … are one message with plural forms (Chinese has only `_other`). */
const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();

describe.each(NAMESPACES.map((ns) => [ns]))('namespace %s', (ns) => {
  const flat = Object.fromEntries(LOCALES.map((l) => [l, flatten(CATALOGUES[l][ns])]));

  it('has the same keys in every language', () => {
    const keys = (l: string) => new Set([...(flat[l] as Map<string, string>).keys()].map(base));
    const [first, ...rest] = LOCALES;
    for (const l of rest) {
      const missingHere = [...keys(first)].filter((k) => !keys(l).has(k));
      const missingThere = [...keys(l)].filter((k) => !keys(first).has(k));
      expect(missingHere, `${ns} keys missing in ${l}`).toEqual([]);
      expect(missingThere, `${ns} keys missing in ${first}`).toEqual([]);
    }
  });

  it('has no empty message and the same placeholders in every language', () => {
    for (const l of LOCALES)
      for (const [k, v] of flat[l] as Map<string, string>) {
        expect(v.trim(), `${l} ${ns}:${k}`).not.toBe('');
        for (const other of LOCALES) {
          const same = [...(flat[other] as Map<string, string>)].find(([kk]) => base(kk) === base(k));
          if (same) expect(placeholders(same[1]), `${ns}:${k} ${l} vs ${other}`).toEqual(placeholders(v));
        }
      }
  });

  it('leaves no English word in the Chinese catalogue', () => {
    const english: string[] = [];
    for (const [k, v] of flat['zh-CN'] as Map<string, string>) {
      const words = v
        .replace(/\{\{[^}]*\}\}/g, '')
        .replace(/`[^`]*`/g, '')
        .match(/[A-Za-z][A-Za-z_]+/g);
      for (const w of words ?? []) if (!PROPER.has(w)) english.push(`${k}: ${w}`);
    }
    expect(english).toEqual([]);
  });
});

/** Every `t('ns:key')` / `t('key')` with a literal key in the code names a message in both languages. */
describe('keys named in the code', () => {
  const root = path.resolve(import.meta.dirname, '../../..');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  const used = ['dashboards', 'alerts']
    .flatMap((d) => files(path.join(root, d)))
    .flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/\bt\(\s*'([^'$]+)'/g)].map((m) => ({
        file: path.relative(root, f),
        key: m[1] as string,
      })),
    );

  it('finds the calls', () => expect(used.length).toBeGreaterThan(10));

  it.each(LOCALES.map((l) => [l]))('exist in %s', (l) => {
    const missing = used.filter(({ key }) => {
      const [ns, k] = key.includes(':') ? (key.split(':', 2) as [string, string]) : ['common', key];
      const flat = flatten((CATALOGUES[l] as Record<string, Messages>)[ns] ?? {});
      return !flat.has(k) && !flat.has(`${k}_other`);
    });
    expect(missing).toEqual([]);
  });
});
