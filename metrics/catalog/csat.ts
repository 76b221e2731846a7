import { SURVEY_DIMENSIONS, type MetricDefinition } from '../types.ts';

export const csat: MetricDefinition = {
  name: 'csat',
  title: 'Customer satisfaction (CSAT)',
  description:
    'Share of CSAT answers that are satisfied (4 or 5 on the 1–5 scale). The headline satisfaction number; the standards ask for at least 90 %.',
  formula: 'responses with score ≥ 4 ÷ CSAT responses × 100 ("top-2-box" on 1–5); 95 % Wilson CI',
  unit: 'percent',
  kind: 'rate',
  source: 'surveys',
  direction: 'higher',
  dimensions: SURVEY_DIMENSIONS,
  target: {
    value: 90,
    basis: 'absolute',
    source: '000, 001, 004 (stretch 92 %, bonus bar 95 % for three months)',
  },
  sql: { numerator: "survey = 'csat' AND score >= 4", denominator: "survey = 'csat'" },
};
