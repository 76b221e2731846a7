import type { FieldError } from './events.ts';

/**
 * What the store would refuse, refused at the door. `JSON.parse` accepts text that ClickHouse's JSON
 * input does not (a lone surrogate escape such as `"\ud800"` fails the whole insert it is in with
 * CANNOT_PARSE_ESCAPE_SEQUENCE), and a producer can send a structure nested or sized without bound.
 * These checks run on every event before its schema, over every field, known or not. An event that is
 * not `walkable` (too deep, too many values) is refused without looking further.
 */

/** Deepest nesting of objects and arrays an event may hold (the event itself is level 1). */
export const MAX_DEPTH = 16;
/** Largest `attributes` (with the unknown extra fields it absorbs), as JSON text in UTF-8 bytes. */
export const MAX_ATTRIBUTES_BYTES = 64 * 1024;
/** Largest number of values (strings, numbers, keys …) an event may hold, a bound on the work to check it. */
const MAX_NODES = 20_000;

/** The instants `DateTime64(3, 'UTC')` stores: 1900-01-01 to 2299-12-31, UTC. */
export const MIN_INSTANT_MS = Date.UTC(1900, 0, 1);
export const MAX_INSTANT_MS = Date.UTC(2300, 0, 1) - 1;

const NUL = '\u0000';

/**
 * Every problem of one decoded event that its schema cannot see: malformed Unicode anywhere (keys
 * included), NUL in a top-level text field (ids, names and texts that become columns or keys),
 * nesting deeper than MAX_DEPTH, too many values.
 */
export function wireErrors(event: Record<string, unknown>): { errors: FieldError[]; walkable: boolean } {
  const errors: FieldError[] = [];
  let walkable = true;
  const budget = { nodes: 0 };
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (!key.isWellFormed()) {
      errors.push({ field: safeText(key), message: 'field name is not valid Unicode (a lone surrogate)' });
      continue;
    }
    if (typeof value === 'string') {
      if (!value.isWellFormed())
        errors.push({
          field: key,
          message: 'is not valid Unicode text (holds a lone surrogate \\ud800–\\udfff)',
        });
      else if (value.includes(NUL))
        errors.push({ field: key, message: 'must not contain the NUL character (\\u0000)' });
      continue;
    }
    if (typeof value === 'object' && value !== null) {
      const problem = nestedProblem(value, 2, budget);
      if (problem?.deep) walkable = false;
      if (problem)
        errors.push({ field: problem.path ? `${key}.${problem.path}` : key, message: problem.message });
    }
  }
  if (budget.nodes > MAX_NODES) {
    errors.push({ field: '(event)', message: `holds more than ${MAX_NODES} values` });
    walkable = false;
  }
  return { errors, walkable };
}

interface Problem {
  path: string;
  message: string;
  /** Too deep: named at the top-level field, a path thousands of levels long helps nobody. */
  deep?: boolean;
}

/** The first problem inside an object or array at `depth`, or undefined. Recursion stops at MAX_DEPTH. */
function nestedProblem(value: object, depth: number, budget: { nodes: number }): Problem | undefined {
  if (depth > MAX_DEPTH)
    return { path: '', message: `is nested deeper than ${MAX_DEPTH} levels`, deep: true };
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [k, v] of entries) {
    if (++budget.nodes > MAX_NODES) return undefined;
    if (!k.isWellFormed())
      return { path: safeText(k), message: 'field name is not valid Unicode (a lone surrogate)' };
    if (typeof v === 'string' && !v.isWellFormed())
      return { path: k, message: 'is not valid Unicode text (holds a lone surrogate \\ud800–\\udfff)' };
    if (typeof v === 'object' && v !== null) {
      const inner = nestedProblem(v, depth + 1, budget);
      if (inner?.deep) return inner;
      if (inner) return { path: inner.path ? `${k}.${inner.path}` : k, message: inner.message };
    }
  }
  return undefined;
}

/** The size rule of `attributes` once the unknown extras are merged into it (see rows.ts). */
export function attributesError(json: string): FieldError | undefined {
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > MAX_ATTRIBUTES_BYTES
    ? {
        field: 'attributes',
        message: `is ${bytes} bytes as JSON with the unknown fields it absorbs; at most ${MAX_ATTRIBUTES_BYTES} are stored`,
      }
    : undefined;
}

/** Text safe to store and show whatever it held: lone surrogates become U+FFFD. */
export function safeText(s: string): string {
  return s.toWellFormed();
}
