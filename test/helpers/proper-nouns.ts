/**
 * Words a Chinese reader sees as they are: the product's name, the standards' abbreviations, format and
 * protocol names, statistics' units. The catalogue test and the zh-CN browser test allow these, and only
 * these, in Chinese text.
 */
export const PROPER_NOUNS = new Set(
  (
    'cxpulse CSAT NPS CES FCR SLA KPI KPIs SQL CSV JSON YAML Arrow XLSX PDF PNG HTML API CI IQR Ctrl Enter ' +
    'ClickHouse Kafka Wilson Welch Pearson Spearman UTC SMTP URL HTTP HTTPS ID IDs Top Box p50 p90 p95 p99 ' +
    'CXPULSE_API_TOKENS api token start UCL LCL Shewhart WeCom DingTalk Feishu GB min max sd AND OR'
  ).split(' '),
);
