/**
 * Wait for `work` at most `ms`; past that, throw what `onTimeout` makes and abort the signal `work` was
 * given, so work not yet started can be dropped. Work already under way goes on (a Kafka send cannot be
 * taken back), and whatever it ends with later is observed, never an unhandled rejection.
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(onTimeout());
    }, ms);
  });
  const running = work(abort.signal);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, late]);
  } finally {
    clearTimeout(timer);
  }
}
