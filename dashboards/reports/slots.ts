import { CronExpressionParser } from 'cron-parser';
import type { ReportDefinition } from './definitions.ts';

/** A schedule's slots: the instants its cron expression names, and the key a slot's run has. */

export const runKeyOf = (report: string, slot: Date) => `${report}@${slot.toISOString()}`;

/** The latest slot of a schedule at or before `at`. */
export function lastSlot(def: ReportDefinition, at: Date): Date {
  return CronExpressionParser.parse(def.schedule.cron, {
    currentDate: new Date(at.getTime() + 1),
    tz: def.schedule.timezone,
  })
    .prev()
    .toDate();
}

export function nextSlot(def: ReportDefinition, at: Date): Date {
  return CronExpressionParser.parse(def.schedule.cron, { currentDate: at, tz: def.schedule.timezone })
    .next()
    .toDate();
}
