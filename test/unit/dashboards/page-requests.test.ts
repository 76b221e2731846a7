import { describe, expect, it } from 'vitest';
import {
  filterParams,
  filtersOf,
  overviewPagePath,
  VOCABULARY_PATH,
} from '../../../dashboards/page-requests.ts';
import { PAGES, pageShell } from '../../../dashboards/shell.ts';
import { translator } from '../../../i18n/translator.ts';

/**
 * The pages' filters, read the same way by the browser and by the server, and the overview's shell
 * asking the browser for the page's answer early: the URL the script fetches, safe whatever the URL.
 */

const q = (s: string) => new URLSearchParams(s);
const overview = PAGES.find((p) => p.page === 'overview');
const shellOf = (here: string, page = overview) =>
  pageShell(
    page ?? PAGES[0]!,
    { role: 'viewer', name: 'v' } as never,
    'Asia/Shanghai',
    translator('zh-CN'),
    here,
  );
const preloadsOf = (html: string) =>
  [...html.matchAll(/<link rel="preload" href="([^"]*)" as="fetch" crossorigin>/g)].map((m) =>
    (m[1] ?? '').replaceAll('&amp;', '&'),
  );

describe('page requests', () => {
  it('defaults to the 28 days up to today and keeps the dimensions in one order', () => {
    expect(filtersOf(q(''), '2026-03-28')).toEqual({ from: '2026-03-01', to: '2026-03-28', dims: {} });
    const f = filtersOf(q('region=east&channel=phone&to=2026-02-10&from=2026-02-01&agent_id=a1'), 'x');
    expect(f).toEqual({ from: '2026-02-01', to: '2026-02-10', dims: { channel: 'phone', region: 'east' } });
    expect(String(filterParams(f))).toBe('from=2026-02-01&to=2026-02-10&channel=phone&region=east');
    expect(String(filterParams(f, ['channel']))).toBe('from=2026-02-01&to=2026-02-10&channel=phone');
    expect(overviewPagePath(f)).toBe(
      '/api/v1/overview/page?from=2026-02-01&to=2026-02-10&channel=phone&region=east',
    );
  });

  it('every shell preloads the vocabulary; the overview also the answer its script asks for', () => {
    const here = '/overview?segment=a%20b&to=2026-02-10&from=2026-02-01';
    const want = overviewPagePath(filtersOf(q(here.split('?')[1] ?? ''), ''));
    expect(preloadsOf(shellOf(here))).toEqual([VOCABULARY_PATH, want]);
    const [, early] = preloadsOf(shellOf('/overview'));
    expect(early).toMatch(/^\/api\/v1\/overview\/page\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$/);
    for (const p of PAGES.filter((x) => x.page !== 'overview'))
      expect(preloadsOf(shellOf(p.path, p)), p.page).toEqual([VOCABULARY_PATH]);
  });

  it('a hostile URL stays inside the attribute', () => {
    const html = shellOf('/overview?from="><script>alert(1)</script>&channel=\'x\'"');
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(preloadsOf(html)[1]).toContain('from=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E');
  });
});
