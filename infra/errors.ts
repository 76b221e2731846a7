/**
 * Typed errors for cxpulse. Every error has a stable `code` (for logs, API responses and alerts) and
 * says whether retrying can help; both are decided where the error is thrown. The HTTP layer maps codes
 * to statuses in one place.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'invalid_json'
  | 'invalid_event'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'not_found'
  | 'conflict'
  | 'bad_parameter'
  | 'sql_refused'
  | 'sql_invalid'
  | 'sql_limit'
  | 'sql_failed'
  | 'sql_busy'
  | 'report_invalid'
  | 'alert_invalid'
  | 'delivery_refused'
  | 'delivery_failed'
  | 'migration_checksum_mismatch'
  | 'migration_invalid'
  | 'clickhouse_unavailable'
  | 'query_memory_limit'
  | 'kafka_unavailable'
  | 'sink_retries_exhausted'
  | 'dependency_missing'
  | 'broker_start_failed'
  | 'port_in_use'
  | 'port_denied'
  | 'data_dir_locked'
  | 'internal';

export class CxError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** Machine-readable detail, e.g. every field error of a rejected event. */
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retriable?: boolean; cause?: unknown; details?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CxError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.details = opts.details;
  }
}

/** A request parameter that is wrong: `bad_parameter` naming the parameter, with it in `details`. */
export function badParameter(name: string, message: string): CxError {
  return new CxError('bad_parameter', `${name}: ${message}`, { details: { parameter: name } });
}

export function isCxError(err: unknown, code?: ErrorCode): err is CxError {
  return err instanceof CxError && (code === undefined || err.code === code);
}

/** The message of anything thrown, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
