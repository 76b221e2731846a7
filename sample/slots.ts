import { HOUR } from './clock.ts';

/** One list per hour of the window, made when something first happens in that hour. */
export type Slots<T> = (T[] | undefined)[];

/** Slots for `nHours` hours, filled with undefined rather than left sparse: V8 keeps such arrays fast. */
export function newSlots<T>(nHours: number): Slots<T> {
  return new Array<T[] | undefined>(nHours).fill(undefined);
}

/** The list of the hour `t` falls in, made on first use; undefined outside [start, end) (never emitted). */
export function inSlot<T>(lists: Slots<T>, t: number, start: number, end: number): T[] | undefined {
  if (t < start || t >= end) return undefined;
  const k = Math.floor((t - start) / HOUR);
  return (lists[k] ??= []);
}
