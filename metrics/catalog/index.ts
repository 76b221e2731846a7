import type { MetricDefinition } from '../types.ts';
import { csat } from './csat.ts';
import { csatMean } from './csat_mean.ts';
import { nps } from './nps.ts';
import { ces } from './ces.ts';
import { fcr } from './fcr.ts';
import { firstResponseTime } from './first_response_time.ts';
import { slaCompliance } from './sla_compliance.ts';
import { resolutionTime } from './resolution_time.ts';
import { resolvedOnTime } from './resolved_on_time.ts';
import { answerRate } from './answer_rate.ts';
import { abandonmentRate } from './abandonment_rate.ts';
import { complaintRate } from './complaint_rate.ts';
import { complaints } from './complaints.ts';
import { followUp48H } from './follow_up_48h.ts';
import { reopenRate } from './reopen_rate.ts';
import { escalationRate } from './escalation_rate.ts';
import { transferRate } from './transfer_rate.ts';
import { churnRate } from './churn_rate.ts';
import { retentionRate } from './retention_rate.ts';
import { interactions } from './interactions.ts';

/** Every KPI of docs/metrics.md, in the order pages list them. */
export const CATALOG: readonly MetricDefinition[] = [
  csat,
  csatMean,
  nps,
  ces,
  fcr,
  firstResponseTime,
  slaCompliance,
  resolutionTime,
  resolvedOnTime,
  answerRate,
  abandonmentRate,
  complaintRate,
  complaints,
  followUp48H,
  reopenRate,
  escalationRate,
  transferRate,
  churnRate,
  retentionRate,
  interactions,
];
