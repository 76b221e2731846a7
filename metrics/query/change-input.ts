import { badParameter } from '../../infra/errors.ts';
import { DIMENSIONS, type Dimension } from '../types.ts';

/**
 * A process change as saved and what a caller may save, with the validation of the input: every field
 * checked and named in a `bad_parameter` error. Pure; metrics/answer/changes.ts stores the changes.
 */

/** A process change as saved; the latest version of its id. Times are ISO 8601 in UTC. */
export interface ProcessChange {
  /** Stable id: a UUID unless the caller chose one. */
  id: string;
  /** 1–200 characters. */
  title: string;
  description: string;
  /** When the change took effect. */
  starts_at: string;
  /** Dimension filters the change applies to, e.g. `{ team_id: ['t2'] }`; `{}` = the whole centre. */
  scope: Partial<Record<Dimension, string[]>>;
  created_by: string;
  created_at: string;
  /** Who saved this version (the creator for the first one). */
  updated_by: string;
  updated_at: string;
  /** Grows with every save; the highest version of an id is the change. */
  version: number;
}

/**
 * What a caller saves. Without `id` a new change is created (id = random UUID). With `id` a new version
 * of that change is written: `description` and `scope` keep their previous values when omitted, the
 * creator and creation time are kept. An `id` that does not exist yet creates the change under that id
 * (so a change can be given a readable, stable id such as `pc-t2-one-touch`).
 */
export interface SaveChangeInput {
  id?: string;
  title: string;
  description?: string;
  /** ISO 8601 date-time with an explicit offset (`Z` or `±hh:mm`): a bare local time is ambiguous. */
  starts_at: string;
  scope?: Partial<Record<Dimension, string[]>>;
  /** The editor saving it (recorded as created_by / updated_by). */
  user: string;
}

const TITLE_MAX = 200;
const DESCRIPTION_MAX = 10_000;
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** Date-time with seconds optional, fraction optional, offset required. */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

function nonEmptyString(name: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0) throw badParameter(name, 'is required');
  const s = v.trim();
  if ([...s].length > max) throw badParameter(name, `must be at most ${max} characters`);
  return s;
}

/** Parse an ISO date-time with offset to the instant's UTC ISO string; Date.parse alone rolls 02-30 over. */
function parseStartsAt(v: unknown): string {
  const m = typeof v === 'string' ? ISO_WITH_OFFSET.exec(v) : null;
  if (!m)
    throw badParameter(
      'starts_at',
      'must be an ISO 8601 date-time with an offset, e.g. 2026-03-06T00:00:00+08:00',
    );
  const [y, mo, d, h, mi, s, , oh, om] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (
    mo! < 1 ||
    mo! > 12 ||
    d! < 1 ||
    d! > daysInMonth ||
    h! > 23 ||
    mi! > 59 ||
    s! > 59 ||
    oh! > 23 ||
    om! > 59
  )
    throw badParameter('starts_at', `${String(v)} is not a valid date-time`);
  // DateTime64(3) stores 1900-01-01 .. 2299-12-31; a change outside this century is a typo anyway.
  if (y! < 2000 || y! > 2199) throw badParameter('starts_at', 'must be between the years 2000 and 2199');
  return new Date(Date.parse(v as string)).toISOString();
}

function parseScope(v: unknown): Partial<Record<Dimension, string[]>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw badParameter('scope', 'must be an object of dimension → list of values');
  const input = v as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(DIMENSIONS as readonly string[]).includes(key))
      throw badParameter(`scope.${key}`, `is not a dimension; dimensions are ${DIMENSIONS.join(', ')}`);
  }
  const scope: Partial<Record<Dimension, string[]>> = {};
  // Dimension order and de-duplicated values, so equal scopes are stored as equal text.
  for (const d of DIMENSIONS) {
    if (!(d in input)) continue;
    const values = input[d];
    if (!Array.isArray(values) || values.length === 0)
      throw badParameter(`scope.${d}`, 'must be a non-empty list of values');
    if (!values.every((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200))
      throw badParameter(`scope.${d}`, 'values must be non-empty strings of at most 200 characters');
    scope[d] = [...new Set(values)];
  }
  return scope;
}

export interface ValidInput {
  id: string | undefined;
  title: string;
  description: string | undefined;
  starts_at: string;
  scope: Partial<Record<Dimension, string[]>> | undefined;
  user: string;
}

export function validateInput(input: SaveChangeInput): ValidInput {
  if (typeof input !== 'object' || input === null) throw badParameter('body', 'must be an object');
  const { id, description, scope } = input;
  if (id !== undefined && (typeof id !== 'string' || !ID_RE.test(id)))
    throw badParameter(
      'id',
      'must be 1–100 characters of letters, digits and . _ : -, starting with a letter or digit',
    );
  if (description !== undefined && typeof description !== 'string')
    throw badParameter('description', 'must be a string');
  if (description !== undefined && [...description].length > DESCRIPTION_MAX)
    throw badParameter('description', `must be at most ${DESCRIPTION_MAX} characters`);
  return {
    id,
    title: nonEmptyString('title', input.title, TITLE_MAX),
    description,
    starts_at: parseStartsAt(input.starts_at),
    scope: scope === undefined ? undefined : parseScope(scope),
    user: nonEmptyString('user', input.user, 200),
  };
}
