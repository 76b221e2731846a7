import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../metrics/catalog.ts';

/**
 * Every link a reader can follow resolves in a fresh clone (docs/README.md): relative Markdown links in
 * every README and in docs/ (anchors included), and every `docs/…` path named in a code comment. No
 * network: links with a scheme (https:, mailto:) are not followed.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Not the project's own files: dependencies, caches, local state, test output. */
const SKIP_DIRS = new Set(['node_modules', '.git', '.cache', '.data', 'test-artifacts']);
const CODE = /\.(ts|mts|js|mjs|sql)$/;
/**
 * The design notes the project was first specified from, outside the repository. Applied migrations
 * are exempt: their text is checksummed once applied (transforms/migrate.ts), so it is never edited;
 * docs/README.md names the notes to say so.
 */
const OLD_DOCS = /\b(CONTRACT|METRICS|ARCHITECTURE|STYLE)\.md\b|\.\.\/shared\//;
const EXEMPT = /^transforms\/migrations\/\d+_[^/]+\.sql$|^docs\/README\.md$/;

/** Repository-relative paths of every file, skipping SKIP_DIRS and symbolic links. */
function walk(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && !SKIP_DIRS.has(e.name)) out.push(...walk(full));
    else if (e.isFile()) out.push(path.relative(ROOT, full).split(path.sep).join('/'));
  }
  return out;
}

const FILES = walk();
const MARKDOWN = FILES.filter(
  (f) => f === 'README.md' || f.endsWith('/README.md') || /^docs\/.+\.md$/.test(f),
);

/** Markdown text without fenced code blocks and inline code spans (links there are not links). */
function prose(md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Link targets: inline `[text](target "title")` and reference definitions `[id]: target`. */
function linkTargets(md: string): string[] {
  const text = prose(md);
  const inline = [...text.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
  const refs = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...refs].map((m) => m[1] as string);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of md.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (m[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** What is wrong with one link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: — not followed here
  const [rawPath = '', anchor] = target.split('#', 2);
  const rel = decodeURIComponent(rawPath);
  const resolved = rel === '' ? path.join(ROOT, file) : path.resolve(ROOT, path.dirname(file), rel);
  const inside = path.relative(ROOT, resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return 'points outside the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor))
    return `no heading #${anchor}`;
  return undefined;
}

/** The comments of a code file: `//` and `/* … *\/` (TypeScript, JavaScript), `--` (SQL). */
function comments(file: string, text: string): string[] {
  if (file.endsWith('.sql')) return [...text.matchAll(/--(.*)$/gm)].map((m) => m[1] as string);
  return [...text.matchAll(/\/\*[\s\S]*?\*\/|\/\/.*$/gm)].map((m) => m[0]);
}

describe('links in the repository', () => {
  it('finds the READMEs and the documents', () => {
    expect(MARKDOWN).toContain('README.md');
    expect(MARKDOWN).toContain('docs/README.md');
    for (const doc of ['contract', 'api', 'metrics', 'architecture', 'decisions'])
      expect(MARKDOWN).toContain(`docs/${doc}.md`);
  });

  it('every relative link in every README and document resolves, anchors included', () => {
    const broken: string[] = [];
    for (const file of MARKDOWN) {
      for (const target of linkTargets(readFileSync(path.join(ROOT, file), 'utf8'))) {
        const problem = brokenLink(file, target);
        if (problem) broken.push(`${file}: (${target}) ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every docs/… path named in a code comment exists', () => {
    const broken: string[] = [];
    for (const file of FILES.filter((f) => CODE.test(f))) {
      for (const c of comments(file, readFileSync(path.join(ROOT, file), 'utf8'))) {
        for (const m of c.matchAll(/(?<![\w./-])docs\/[\w./-]*\w/g)) {
          if (!existsSync(path.join(ROOT, m[0]))) broken.push(`${file}: ${m[0]}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every project file named in a comment or a README exists (applied migrations aside)', () => {
    const named =
      /(?<![\w./-])(?:infra|ingest|metrics|transforms|dashboards|sample|cli|test|bench|docs|scripts)\/[\w./-]*\.(?:ts|sql|md|mjs|json|yaml)\b/g;
    const broken: string[] = [];
    for (const file of FILES.filter((f) => !EXEMPT.test(f))) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const where = MARKDOWN.includes(file) ? [text] : CODE.test(file) ? comments(file, text) : [];
      for (const t of where) {
        for (const m of t.matchAll(named)) {
          const rel = path.join(path.dirname(file), m[0]);
          if (!m[0].includes('*') && !existsSync(path.join(ROOT, m[0])) && !existsSync(path.join(ROOT, rel)))
            broken.push(`${file}: ${m[0]}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('nothing points to the design notes outside the repository', () => {
    const stale: string[] = [];
    for (const file of FILES.filter((f) => !EXEMPT.test(f))) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const where = MARKDOWN.includes(file) ? [text] : CODE.test(file) ? comments(file, text) : [];
      for (const t of where) if (OLD_DOCS.test(t)) stale.push(`${file}: ${OLD_DOCS.exec(t)?.[0]}`);
    }
    expect(stale).toEqual([]);
  });

  it('reads anchors and links as GitHub does', () => {
    expect([...anchors("# A: `b` c\n## The standards' clauses\n## A: b c\n```\n# not\n```")]).toEqual([
      'a-b-c',
      'the-standards-clauses',
      'a-b-c-1',
    ]);
    expect(linkTargets('[`x`](a.md#b) `[no](c.md)` [y](https://e.org)\n[r]: d/e.md\n')).toEqual([
      'a.md#b',
      'https://e.org',
      'd/e.md',
    ]);
  });
});

describe('docs/metrics.md', () => {
  it('has a row for every KPI of the catalog with its formula, unit and kind', () => {
    const md = readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    const missing = CATALOG.filter((m) => {
      const row = md.split('\n').find((l) => l.startsWith(`| \`${m.name}\` | [`));
      const cells = row?.split(/(?<!\\)\|/).map((c) => c.trim().replaceAll('\\|', '|'));
      return cells?.[3] !== m.formula || cells[4] !== m.unit || cells[5] !== m.kind;
    });
    expect(missing.map((m) => m.name)).toEqual([]);
  });
});
