import type { Names } from '../infra/config.ts';
import { TEAMS } from './teams.ts';

/**
 * What the sample centre calls its regions and teams, in both languages: the display names `cxpulse
 * start` serves with the sample data when DISPLAY_NAMES is not configured, so a Chinese reader sees
 * 华东 and 一组 rather than the stored `east` and `t1`.
 */

const REGIONS: Record<string, Names> = {
  east: { 'zh-CN': '华东', en: 'East' },
  south: { 'zh-CN': '华南', en: 'South' },
  north: { 'zh-CN': '华北', en: 'North' },
  southwest: { 'zh-CN': '西南', en: 'Southwest' },
  northwest: { 'zh-CN': '西北', en: 'Northwest' },
  northeast: { 'zh-CN': '东北', en: 'Northeast' },
};

const NUMERALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九'];

export const SAMPLE_DISPLAY_NAMES: {
  team_id: Record<string, Names>;
  agent_id: Record<string, Names>;
  region: Record<string, Names>;
} = {
  region: REGIONS,
  team_id: Object.fromEntries(
    TEAMS.map((t, i) => [t, { 'zh-CN': `${NUMERALS[i] ?? i + 1}组`, en: `Team ${i + 1}` }]),
  ),
  agent_id: {},
};
