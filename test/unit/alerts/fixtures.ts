import type { Notification } from '../../../alerts/channels/types.ts';

/** A follow-up rule for team 华东二组, firing, in `locale`. */
export function notification(over: Partial<Notification> = {}): Notification {
  return {
    rule: { id: 'follow-up-t2', name: '投诉 48 小时回访' },
    transition: 'firing',
    kpi: over.locale === 'en' ? 'Complaint follow-up within 48 h' : '投诉 48 小时回访率',
    measured: { value: 78.25, n: 212, ci: [71.2, 84.06], unit: 'percent' },
    target: 90,
    status: 'missed',
    filters: [{ label: '团队', values: ['华东二组'] }],
    group: '华东二组',
    link: 'https://cx.example.com/complaints?team_id=t2',
    at: new Date('2026-03-02T01:15:00Z'),
    timeZone: 'Asia/Shanghai',
    locale: 'zh-CN',
    ...over,
  };
}
