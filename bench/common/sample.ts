/**
 * The highest values of `read()` (e.g. the RSS of a process) seen from now until `stop()`: read now,
 * every `everyMs` and, unless `stop(false)`, once more at the stop.
 */
export function sampleMax<T extends Record<string, number>>(
  read: () => T,
  everyMs = 100,
): { stop(final?: boolean): T } {
  const max = { ...read() };
  const take = () => {
    const now = read();
    for (const k of Object.keys(max) as (keyof T)[])
      max[k] = Math.max(max[k] as number, now[k] as number) as T[keyof T];
  };
  const timer = setInterval(take, everyMs);
  return {
    stop(final = true) {
      clearInterval(timer);
      if (final) take();
      return max;
    },
  };
}

/** The RSS of this process in bytes, for `sampleMax`. */
export const ownRss = () => ({ rss: process.memoryUsage.rss() });
