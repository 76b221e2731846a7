/** Keys of the ClickHouse store: a server, or the embedded engine in the data directory. */
import path from 'node:path';
import { z } from 'zod';
import { identifier, int, type KeyTable, type Values } from './keys.ts';

export const clickhouseKeys = {
  CLICKHOUSE_URL: {
    default: undefined,
    doc: 'ClickHouse server URL (`https://host:8443`). Unset: embedded chDB in `$CXPULSE_DATA_DIR/chdb`.',
    schema: z.url(),
  },
  CLICKHOUSE_USER: { default: 'default', doc: 'ClickHouse user (server mode).', schema: z.string() },
  CLICKHOUSE_PASSWORD: { default: '', doc: 'ClickHouse password (server mode).', schema: z.string() },
  CLICKHOUSE_DATABASE: {
    default: 'cxpulse',
    doc: 'Database holding every cxpulse table.',
    schema: identifier,
  },
  CLICKHOUSE_REQUEST_TIMEOUT_MS: {
    default: '60000',
    doc: 'Timeout of one ClickHouse request (server mode).',
    schema: int(1000, 3_600_000),
  },
} satisfies KeyTable;

export function clickhouse(v: Values<typeof clickhouseKeys>, dataDir: string) {
  return {
    /** undefined = embedded chDB */
    url: v.CLICKHOUSE_URL,
    user: v.CLICKHOUSE_USER,
    password: v.CLICKHOUSE_PASSWORD,
    database: v.CLICKHOUSE_DATABASE,
    requestTimeoutMs: v.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    chdbPath: path.join(dataDir, 'chdb'),
  };
}
