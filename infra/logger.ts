import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout stays free for CLI output such as CSV). Every line has an
 * `event_name` and a context object; never `console.log` in library code.
 */
export function createLogger(level: string = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { service: 'cxpulse' } }, pino.destination(2));
}

let root: Logger | undefined;

/** The process-wide logger; modules take a child with their own `component`. */
export function logger(component?: string): Logger {
  root ??= createLogger();
  return component ? root.child({ component }) : root;
}
