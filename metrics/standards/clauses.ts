import type { TargetSpec } from '../targets/types.ts';

/**
 * The standards' clauses (docs/metrics.md, "The standards' clauses"): what the scorecard lists, each
 * with the target that judges it. Seed 003 sets no number; its asks are the scorecard itself.
 */

export interface Clause {
  /** `S001-2` */
  id: string;
  /** The standard and section (`001 一(一)`). */
  standard: string;
  /** The clause as the standard writes it. */
  zh: string;
  /** The clause in English. */
  en: string;
  /** The target that judges it (without `id` and `clause`, which come from the clause). */
  target: Omit<TargetSpec, 'id' | 'clause' | 'source'>;
}

/** Where a clause sets a time limit but no share, the share is 95 % (configurable). */
export const DEFAULT_SHARE = 95;

const sla = (scope?: TargetSpec['scope'], per?: TargetSpec['per']): Clause['target'] => ({
  metric: 'sla_compliance',
  kind: 'absolute',
  value: DEFAULT_SHARE,
  ...(scope ? { scope } : {}),
  ...(per ? { per } : {}),
});

export const CLAUSES: readonly Clause[] = [
  {
    id: 'S000-1',
    standard: '000 §1.3.1',
    zh: '客户服务响应时间缩短至24小时内',
    en: 'customer-service response within 24 h',
    target: sla({ priority: ['low', 'normal'] }),
  },
  {
    id: 'S000-2',
    standard: '000 §1.3.1',
    zh: '客户满意度达到90%以上',
    en: 'CSAT above 90 %',
    target: { metric: 'csat', kind: 'absolute', value: 90 },
  },
  {
    id: 'S000-3',
    standard: '000 §1.3.1',
    zh: '客户反馈处理及时率提升至95%',
    en: 'feedback handled on time 95 %',
    target: { metric: 'resolved_on_time', kind: 'absolute', value: 95 },
  },
  {
    id: 'S001-1',
    standard: '001 一(一)',
    zh: '客户满意度提升至92%以上',
    en: 'CSAT above 92 %',
    target: { metric: 'csat', kind: 'absolute', value: 92 },
  },
  {
    id: 'S001-2',
    standard: '001 一(一)',
    zh: '投诉率下降≥40%',
    en: 'complaint rate down ≥ 40 %',
    target: { metric: 'complaint_rate', kind: 'relative', value: -40 },
  },
  {
    id: 'S001-3',
    standard: '001 一(一)',
    zh: '客户推荐值(NPS)提升≥35%',
    en: 'NPS up ≥ 35 %',
    target: { metric: 'nps', kind: 'relative', value: 35 },
  },
  {
    id: 'S001-4',
    standard: '001 二(二)',
    zh: '线上咨询≤15秒',
    en: 'online consultation answered ≤ 15 s',
    target: sla({ channel: ['chat', 'social'] }),
  },
  {
    id: 'S001-5',
    standard: '001 二(二)',
    zh: '投诉响应≤1小时',
    en: 'complaint response ≤ 1 h',
    target: sla({ category: ['complaint'] }),
  },
  {
    id: 'S001-6',
    standard: '001 二(二)',
    zh: '投诉解决后48小时内回访确认满意度',
    en: 'follow-up within 48 h of a resolved complaint',
    target: { metric: 'follow_up_48h', kind: 'absolute', value: DEFAULT_SHARE },
  },
  {
    id: 'S002-1',
    standard: '002 §2.1',
    zh: '接线流程需在30秒内完成初步信息确认',
    en: 'phone: answer and register within 30 s',
    target: sla({ channel: ['phone'] }),
  },
  {
    id: 'S002-2',
    standard: '002 §2.2',
    zh: '高优先级投诉需在1小时内响应',
    en: 'high-priority complaints answered within 1 h',
    target: sla({ category: ['complaint'], priority: ['high', 'urgent'] }),
  },
  {
    id: 'S002-3',
    standard: '002 §2.2',
    zh: '常规咨询则可在24小时内处理',
    en: 'routine inquiries handled within 24 h',
    target: {
      metric: 'resolved_on_time',
      kind: 'absolute',
      value: DEFAULT_SHARE,
      scope: { category: ['inquiry'] },
    },
  },
  {
    id: 'S004-1',
    standard: '004 §1.2',
    zh: '客户流失率控制在5%以内',
    en: 'churn within 5 %',
    target: { metric: 'churn_rate', kind: 'absolute', value: 5 },
  },
  {
    id: 'S004-2',
    standard: '004 §1.2',
    zh: '90%的常见问题需在首次交互中解决',
    en: '90 % of common issues solved at first contact',
    target: { metric: 'fcr', kind: 'absolute', value: 90 },
  },
  {
    id: 'S004-3',
    standard: '004 §1.3',
    zh: '24小时内回复非紧急咨询，紧急问题需1小时内介入',
    en: 'non-urgent within 24 h, urgent within 1 h',
    target: sla(undefined, 'priority'),
  },
  {
    id: 'S004-4',
    standard: '004 §1.4',
    zh: '电话接通率需达80%以上',
    en: 'phone answer rate above 80 %',
    target: { metric: 'answer_rate', kind: 'absolute', value: 80 },
  },
  {
    id: 'S004-5',
    standard: '004 §1.4',
    zh: '邮件响应时间≤4小时',
    en: 'email answered within 4 h',
    target: sla({ channel: ['email'] }),
  },
  {
    id: 'S004-6',
    standard: '004 §1.4',
    zh: '连续3个月满意度达95%的专员可获季度奖金',
    en: 'agents with CSAT ≥ 95 % three months running earn the quarterly bonus',
    target: { metric: 'csat', kind: 'sustained', value: 95, months: 3, per: 'agent_id' },
  },
];

/** Every clause's target as a `TargetSpec` (the default targets; configuration and admins may change them). */
export const CLAUSE_TARGETS: readonly TargetSpec[] = CLAUSES.map((c) => ({
  ...c.target,
  id: `${c.target.metric}:${c.id}`,
  clause: c.id,
  source: c.standard,
}));
