import { SURVEY_DIMENSIONS, type MetricDefinition } from '../types.ts';

export const nps: MetricDefinition = {
  name: 'nps',
  title: 'Net Promoter Score (NPS)',
  description:
    'Promoters (9–10) minus detractors (0–6), in points from −100 to 100. The target is a 35 % rise over a baseline period.',
  formula: '(% promoters 9–10) − (% detractors 0–6); margin of error 1.96·√((p⁺(1−p⁺)+p⁻(1−p⁻)+2p⁺p⁻)/n)·100',
  unit: 'points',
  kind: 'nps',
  source: 'surveys',
  direction: 'higher',
  dimensions: SURVEY_DIMENSIONS,
  target: { value: 35, basis: 'relative_to_baseline', source: '001' },
  sql: { value: 'score', where: "survey = 'nps'" },
};
