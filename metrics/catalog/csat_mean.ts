import { SURVEY_DIMENSIONS, type MetricDefinition } from '../types.ts';

export const csatMean: MetricDefinition = {
  name: 'csat_mean',
  title: 'Mean CSAT score',
  description: 'Average CSAT answer on the 1–5 scale; moves before the top-2-box share does.',
  formula: 'mean CSAT score (1–5)',
  unit: 'score',
  kind: 'mean',
  source: 'surveys',
  direction: 'higher',
  dimensions: SURVEY_DIMENSIONS,
  sql: { value: 'score', where: "survey = 'csat'" },
};
