/**
 * How a configuration key is declared — its default, its meaning and its schema, once — and the value
 * types shared by the sections. A section file (general.ts, kafka.ts …) holds a table of keys and the
 * function that maps their parsed values into its part of `Config`; the types follow from the schemas.
 */
import { z } from 'zod';

export interface KeySpec {
  /** Default as the string an operator would write; undefined = unset. */
  default: string | undefined;
  doc: string;
  schema: z.ZodType;
}

export type KeyTable = Record<string, KeySpec>;

/** The parsed values of a table's keys: the schema's output, or undefined for a key without default. */
export type Values<T extends KeyTable> = {
  [K in keyof T]: T[K]['default'] extends string
    ? z.output<T[K]['schema']>
    : z.output<T[K]['schema']> | undefined;
};

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier (letters, digits, _)');

/** An IANA time zone name (shared with the report definitions). */
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Asia/Shanghai');

/** A JSON value written as text (an environment variable or a config file entry). */
export const json = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }
});

/** Comma-separated text → its trimmed, non-empty entries. */
export const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);
