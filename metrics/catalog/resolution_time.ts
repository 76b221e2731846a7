import type { MetricDefinition } from '../types.ts';

export const resolutionTime: MetricDefinition = {
  name: 'resolution_time',
  title: 'Resolution time',
  description:
    'Hours from opening to the last resolution of resolved interactions: median (p50), p90 and mean.',
  formula: 'time from opened to the last resolved; hours; p50, p90',
  unit: 'hours',
  kind: 'quantile',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { value: 'resolution_hours', where: 'resolved' },
};
