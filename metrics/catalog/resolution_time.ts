import type { MetricDefinition } from '../types.ts';

export const resolutionTime: MetricDefinition = {
  name: 'resolution_time',
  title: 'Resolution time',
  description:
    'Hours from opening to the last resolution of resolved interactions: median (p50), p90 and mean. From the daily rollups, p50 and p90 are within 1 % of the exact values (the response’s relative_error says so); the mean is exact.',
  formula: 'time from opened to the last resolved; hours; p50, p90',
  unit: 'hours',
  kind: 'quantile',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { value: 'resolution_hours', where: 'resolved' },
};
