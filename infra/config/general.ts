/** Keys every part reads: where local state lives, the centre's time zone, the log level. */
import path from 'node:path';
import { z } from 'zod';
import { timeZone, type KeyTable, type Values } from './keys.ts';

export const generalKeys = {
  CXPULSE_DATA_DIR: {
    default: '.data',
    doc: 'Local state: the embedded ClickHouse (chDB) data and the local Kafka broker log.',
    schema: z.string().min(1),
  },
  CXPULSE_TIMEZONE: {
    default: 'UTC',
    doc: 'Time zone of reporting periods (days, weeks, months), e.g. `Asia/Shanghai`.',
    schema: timeZone,
  },
  LOG_LEVEL: {
    default: 'info',
    doc: 'Log level: `trace`, `debug`, `info`, `warn`, `error`, `fatal`.',
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
  },
} satisfies KeyTable;

export function general(v: Values<typeof generalKeys>) {
  return {
    /** CXPULSE_DATA_DIR, absolute */
    dataDir: path.resolve(v.CXPULSE_DATA_DIR),
    timeZone: v.CXPULSE_TIMEZONE,
    logLevel: v.LOG_LEVEL,
  };
}
