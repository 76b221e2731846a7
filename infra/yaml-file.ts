import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CxError, type ErrorCode } from './errors.ts';

/**
 * The YAML files people write (reports.yaml, alerts.yaml): read, and checked with a zod schema so that
 * every mistake is named with its place (`alerts[2].for: …`), under the file's own error code.
 */

/** The parsed document, `undefined` when the file does not exist; not YAML is an error naming the file. */
export function readYamlFile(file: string, code: ErrorCode): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CxError(code, `${file}: not valid YAML: ${String(err)}`, { cause: err });
  }
}

/** `['alerts', 2, 'for']` → `alerts[2].for` */
export function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}

/** The document checked with `schema`; each mistake named with its place, all of them in one error. */
export function checked<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: ErrorCode,
  source: string,
): z.output<S> {
  const res = schema.safeParse(input ?? {});
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new CxError(code, `${source}: ${lines.join('; ')}`, { details: lines });
}
