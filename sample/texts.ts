import type { Category } from '../ingest/events.ts';

/** The words of the sample data: resolution codes, subjects, reasons and survey comments. */

export const RESOLUTION_CODES: Record<Category, readonly string[]> = {
  inquiry: ['answered', 'info_sent'],
  presales: ['answered', 'quote_sent'],
  order_support: ['order_updated', 'delivery_rescheduled', 'answered'],
  fault_repair: ['repaired', 'replaced', 'technician_visit'],
  tech_support: ['configured', 'workaround', 'software_update'],
  complaint: ['apology', 'compensated', 'refund', 'explained'],
  special_request: ['approved', 'declined'],
  aftersales: ['refund', 'replaced', 'return_accepted'],
};
export const SUBJECTS: Record<Category, readonly string[]> = {
  inquiry: ['会员权益咨询', '营业时间咨询', '账户信息查询'],
  presales: ['产品功能咨询', '价格与优惠咨询', '套餐对比'],
  order_support: ['订单状态查询', '修改收货地址', '发票开具'],
  fault_repair: ['设备无法开机', '产品故障报修', '屏幕显示异常'],
  tech_support: ['软件设置问题', '网络连接问题', 'App 登录失败'],
  complaint: ['服务态度投诉', '配送延误投诉', '质量问题投诉', '重复收费投诉'],
  special_request: ['特殊配送需求', '延长保修申请', '无障碍服务需求'],
  aftersales: ['退货申请', '换货申请', '退款进度查询'],
};
export const TRANSFER_REASONS = [
  'needs_specialist',
  'wrong_queue',
  'billing_question',
  'technical_issue',
] as const;
export const ESCALATION_REASONS = [
  'customer_request',
  'supervisor_approval',
  'complaint_severity',
  'sla_risk',
] as const;
export const REOPEN_REASONS = ['issue_persisted', 'customer_not_satisfied', 'new_information'] as const;
export const BACKGROUND_CHURN_REASONS = [
  'price',
  'moved',
  'no_longer_needed',
  'switched_to_competitor',
] as const;
export const COMMENTS = {
  good: ['服务很好，谢谢', '响应很快', '问题解决了，很满意'],
  neutral: ['还可以', '一般般'],
  bad: ['等待时间太长', '问题没有解决', '被转接了好几次', '希望服务更专业'],
} as const;
