import type { Locale } from './locales.ts';

/**
 * The number and time format locales Vega draws axes, legends and tooltips with (d3-format and
 * d3-time-format definitions; zh-CN as d3 ships it), for the pages (vega-embed's `formatLocale` and
 * `timeFormatLocale`) and the report charts (vega's `View` `locale`). English is Vega's own default.
 */

export interface NumberLocale {
  decimal: string;
  thousands: string;
  grouping: number[];
  currency: [string, string];
}

export interface TimeLocale {
  dateTime: string;
  date: string;
  time: string;
  periods: [string, string];
  days: string[];
  shortDays: string[];
  months: string[];
  shortMonths: string[];
}

const ZH_NUMBER: NumberLocale = { decimal: '.', thousands: ',', grouping: [3], currency: ['¥', ''] };

const ZH_TIME: TimeLocale = {
  dateTime: '%x %A %X',
  date: '%Y年%-m月%-d日',
  time: '%H:%M:%S',
  periods: ['上午', '下午'],
  days: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'],
  shortDays: ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
  months: [
    '一月',
    '二月',
    '三月',
    '四月',
    '五月',
    '六月',
    '七月',
    '八月',
    '九月',
    '十月',
    '十一月',
    '十二月',
  ],
  shortMonths: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
};

/** The Vega locale of a language, or null for Vega's built-in en-US. */
export function vegaLocale(locale: Locale): { number: NumberLocale; time: TimeLocale } | null {
  return locale === 'zh-CN' ? { number: ZH_NUMBER, time: ZH_TIME } : null;
}

/** The axis format of a day on a time axis: `Mar 05` / `3月5日`. */
export const dayAxisFormat = (locale: Locale): string => (locale === 'zh-CN' ? '%-m月%-d日' : '%b %d');
