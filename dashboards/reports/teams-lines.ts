import type { Translator } from '../../i18n/translator.ts';
import type { MetricRow } from '../../metrics/answer/metric.ts';
import { LOW_CONFIDENCE_N } from '../../metrics/stats/target.ts';
import type { ReportData } from './content.ts';
import { formatValue, metricTitle, num, statusWord } from './lines.ts';

/**
 * The `teams` section of a report in the recipient's language: CSAT per team and per agent, each group
 * by its display name, with value, 95 % CI, n, the target in force and the status word; a group with
 * fewer than 30 answers is marked low-confidence. Written once, so the HTML and the PDF agree.
 */

export interface GroupLine {
  /** the stored id (`team-north`), for a test or a link */
  id: string;
  name: string;
  value: string;
  ci: string;
  n: string;
  target: string;
  status: string;
  /** the status key (`met` …) for colours; `none` without one */
  statusKey: string;
  lowConfidence: boolean;
}

type Teams = NonNullable<ReportData['teams']>;

function groupLines(rows: readonly MetricRow[], dimension: string, t: Teams, tr: Translator): GroupLine[] {
  const unit = t.metric.unit;
  const low = tr.t('reports:teams.lowConfidence');
  return (
    [...rows]
      // a survey answered without an interaction has no team or agent
      .map((r) => ({
        r,
        name:
          r[dimension] === '' || r[dimension] === null || r[dimension] === undefined
            ? tr.t('reports:teams.unattributed')
            : tr.label(dimension, r[dimension]),
      }))
      .sort((a, b) => a.name.localeCompare(b.name, tr.locale))
      .map(({ r, name }) => {
        const status = statusWord(tr, r.status);
        return {
          id: String(r[dimension] ?? ''),
          name,
          value: formatValue(tr, r.value, unit),
          ci:
            r.ci_low === null || r.ci_high === null
              ? '–'
              : tr.t('reports:interval', { low: num(tr, r.ci_low), high: num(tr, r.ci_high) }),
          n: tr.number(r.n),
          target: r.target === null ? '–' : formatValue(tr, r.target, unit),
          status: r.low_confidence ? `${status} · ${low}` : status,
          statusKey: r.status ?? 'none',
          lowConfidence: r.low_confidence,
        };
      })
  );
}

/** One line per team, sorted by name (ranking groups whose CIs overlap ranks noise). */
export const teamLines = (t: Teams, tr: Translator): GroupLine[] => groupLines(t.teams, 'team_id', t, tr);

/** One line per agent, sorted by name. */
export const agentLines = (t: Teams, tr: Translator): GroupLine[] => groupLines(t.agents, 'agent_id', t, tr);

/**
 * The section's words: its heading, the chart's title (`byTeam`), the agents' sub-heading, the note when
 * empty, and what the low-confidence mark means.
 */
export function teamsWords(t: Teams, tr: Translator) {
  const metric = metricTitle(tr, t.metric.name, t.metric.title);
  return {
    heading: tr.t('reports:heading.teams', { metric }),
    byTeam: tr.t('reports:teams.byTeam', { metric }),
    byAgent: tr.t('reports:teams.byAgent', { metric }),
    none: tr.t('reports:teams.none'),
    lowNote: tr.t('reports:teams.lowConfidenceNote', { n: tr.number(LOW_CONFIDENCE_N) }),
  };
}

/** The head of a group table: the group's dimension, value, CI, n, target, status. */
export const groupHead = (tr: Translator, dimension: 'team_id' | 'agent_id'): string[] => [
  tr.t(`vocabulary:dimension.${dimension}`),
  tr.t('reports:column.value'),
  tr.t('reports:column.ci'),
  tr.t('reports:column.n'),
  tr.t('reports:column.target'),
  tr.t('reports:column.status'),
];
