import type { MetricDefinition } from '../types.ts';

export const firstResponseTime: MetricDefinition = {
  name: 'first_response_time',
  title: 'First response time',
  description:
    'Time from opening to the first response, in seconds: median (p50), p90 and mean. Targets differ by channel (chat 15 s, phone 30 s, email 4 h, others 24 h; 1 h for complaints and urgent requests); see sla_compliance. From the daily rollups, p50 and p90 are within 1 % of the exact values (the response’s relative_error says so); the mean is exact.',
  formula: 'time from opened to first_response; seconds; p50, p90, mean',
  unit: 'seconds',
  kind: 'quantile',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { value: 'first_response_seconds', where: 'responded' },
};
