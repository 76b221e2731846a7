import { CxError } from './errors.ts';

/**
 * What a ClickHouse error says about the rows it refused, decided by the engine's error code. A
 * `data` error is the rows' fault: writing them again fails again, so the ingester isolates the
 * offending rows and sends them to the DLQ. Anything else (the store down, a table detached, memory,
 * disk, a timeout, an error without a code) is the store's: the write is retried and nothing is
 * dropped. Unknown codes count as the store's on purpose: a wrong guess then stalls ingestion
 * visibly (degraded) instead of throwing good events away.
 */

/** Engine codes (name → number, as `errorCodeToName` gives them) that blame the rows of an insert. */
export const DATA_ERROR_CODES: Readonly<Record<string, number>> = {
  CANNOT_PARSE_TEXT: 6,
  INCORRECT_NUMBER_OF_COLUMNS: 7,
  CANNOT_PARSE_ESCAPE_SEQUENCE: 25,
  CANNOT_PARSE_QUOTED_STRING: 26,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  ATTEMPT_TO_READ_AFTER_EOF: 32,
  CANNOT_READ_ALL_DATA: 33,
  CANNOT_PARSE_DATE: 38,
  CANNOT_PARSE_DATETIME: 41,
  TYPE_MISMATCH: 53,
  ARGUMENT_OUT_OF_BOUND: 69,
  CANNOT_CONVERT_TYPE: 70,
  CANNOT_PARSE_NUMBER: 72,
  INCORRECT_DATA: 117,
  CANNOT_READ_ARRAY_FROM_TEXT: 130,
  TOO_LARGE_STRING_SIZE: 131,
  SIZES_OF_ARRAYS_DONT_MATCH: 190,
  VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: 321,
  CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN: 349,
  CANNOT_PARSE_UUID: 376,
  FUNCTION_THROW_IF_VALUE_IS_NON_ZERO: 395,
  DECIMAL_OVERFLOW: 407,
  CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING: 441,
  CANNOT_PARSE_BOOL: 467,
  VIOLATED_CONSTRAINT: 469,
  CANNOT_PARSE_IPV4: 675,
  CANNOT_PARSE_IPV6: 676,
  UNKNOWN_ELEMENT_OF_ENUM: 691,
};

const DATA_CODES = new Set(Object.values(DATA_ERROR_CODES));

export type ClickHouseFault = 'data' | 'store';

/**
 * The engine's error code of anything a ClickHouse client threw: `code` of the HTTP client's
 * ClickHouseError (a numeric string), or the `Code: N.` that the embedded engine's messages start with.
 */
export function engineCode(err: unknown): number | undefined {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
    if (typeof code === 'number') return code;
    const m = /\bCode: (\d+)\. DB::Exception/.exec(e instanceof Error ? e.message : String(e));
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Whose fault an insert's failure is: the rows' (`data`) or the store's (everything else). */
export function faultOf(err: unknown): ClickHouseFault {
  const code = engineCode(err);
  return code !== undefined && DATA_CODES.has(code) ? 'data' : 'store';
}

const NAMES = new Map(Object.entries(DATA_ERROR_CODES).map(([name, code]) => [code, name]));

/** An engine error taken apart: its code, the code's name, and the innermost sentence. */
export interface EngineError {
  code: number | undefined;
  name: string | undefined;
  /** The innermost exception's text (the embedded engine nests them), one line, without the pipeline
   * step (`While executing …`), the version, a stack trace or the trailing `(NAME)`. */
  sentence: string;
}

export function parseEngineError(err: unknown): EngineError {
  const text = (err instanceof Error ? err.message : String(err)).replace(/Stack trace:[\s\S]*/, '');
  const m = /^[\s\S]*DB::Exception: ([\s\S]*?)(?:\s*: While executing [\s\S]*|\s*\(version [\s\S]*)?$/.exec(
    text,
  );
  const sentence = (m?.[1] ?? text)
    .replace(/\s*\([A-Z][A-Z0-9_]+\)\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  const code = engineCode(err);
  const trailing = /\(([A-Z][A-Z0-9_]+)\)\s*$/.exec(text.trim())?.[1];
  return { code, name: trailing ?? (code === undefined ? undefined : NAMES.get(code)), sentence };
}

/**
 * The engine's own sentence with its code: what a DLQ reason shows, e.g.
 * `CANNOT_PARSE_NUMBER (72): Unsigned type must not contain '-' symbol …`.
 */
export function engineMessage(err: unknown): string {
  const { code, name, sentence } = parseEngineError(err);
  const label = code === undefined ? '' : `${name ?? 'code'} (${code}): `;
  return `${label}${sentence.slice(0, 1000)}`.toWellFormed();
}

/** MEMORY_LIMIT_EXCEEDED: a query went over `max_memory_usage` or the engine's `max_server_memory_usage`. */
export const MEMORY_LIMIT_EXCEEDED = 241;

/**
 * A query the engine stopped at its memory limit, as `query_memory_limit` naming the keys that set it;
 * null for any other error.
 */
export function memoryLimitError(err: unknown): CxError | null {
  if (engineCode(err) !== MEMORY_LIMIT_EXCEEDED) return null;
  return new CxError(
    'query_memory_limit',
    `the query went over the engine's memory limit (CLICKHOUSE_MAX_MEMORY_USAGE_MB, CLICKHOUSE_MAX_SERVER_MEMORY_MB): ${parseEngineError(err).sentence.slice(0, 300)}`,
    { cause: err },
  );
}
