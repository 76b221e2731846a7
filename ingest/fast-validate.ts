import { CATEGORIES, CHANNELS, FOLLOW_UP_OUTCOMES, PRIORITIES, SEVERITIES, SURVEYS } from './vocabulary.ts';
import { attributesError, MAX_INSTANT_MS, MIN_INSTANT_MS, wireErrors } from './wire-safety.ts';

/**
 * The contract's verdict, fast: does one decoded JSON value pass every rule of `events.ts` (its zod
 * schemas, the checks of `wire-safety.ts` and the size of `attributes` with the extras it absorbs)?
 * Yes or no, nothing more, in a fraction of a microsecond: the ingester asks this first and runs the
 * zod schemas only on what it refuses, to explain why. The rules are written here a second time on
 * purpose; test/unit/ingest/fast-validate.test.ts keeps the two verdicts equal on every fixture and on
 * thousands of generated valid and broken events.
 */

/** ISO-8601 date-time that carries its offset (Z or ±hh:mm); a local time without one is ambiguous. */
export const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** True when the calendar fields of an ISO timestamp exist (Date.parse rolls 2026-02-30 over to March). */
export function isRealInstant(s: string): boolean {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi));
  return (
    probe.getUTCFullYear() === y &&
    probe.getUTCMonth() === mo - 1 &&
    probe.getUTCDate() === d &&
    probe.getUTCHours() === h &&
    probe.getUTCMinutes() === mi
  );
}

/** Days in each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of the ASCII digits of `s` from `at` to `at + n`, or -1 if one is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * The rule below for the form most producers send, `YYYY-MM-DDThh:mm:ss.mmmZ`, read field by field
 * (a quarter of the cost): `undefined` when `s` has another form.
 */
function utcMillisInstant(s: string): boolean | undefined {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[13] !== ':' || s[16] !== ':' || s[19] !== '.') return undefined;
  const [y, mo, d, h, mi, sec, ms] = [
    digits(s, 0, 4),
    digits(s, 5, 2),
    digits(s, 8, 2),
    digits(s, 11, 2),
    digits(s, 14, 2),
    digits(s, 17, 2),
    digits(s, 20, 3),
  ];
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || ms < 0) return undefined;
  if (y < 1900 || y > 2299 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : (MONTH_DAYS[mo - 1] as number));
}

/** The timestamp rule of the contract: ISO with an offset, a real instant, within what the store keeps. */
export function isContractInstant(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  const quick = utcMillisInstant(s);
  if (quick !== undefined) return quick;
  if (!ISO_WITH_OFFSET.test(s)) return false;
  const ms = Date.parse(s);
  if (Number.isNaN(ms) || ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) return false;
  return isRealInstant(s);
}

type Check = (v: unknown) => boolean;

const id: Check = (v) => typeof v === 'string' && v.length >= 1 && v.length <= 128;
const text =
  (max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length <= max;
const oneOf = (values: readonly string[]): Check => {
  const set = new Set(values);
  return (v) => typeof v === 'string' && set.has(v);
};
const finite: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const CURRENCY = /^[A-Z]{3}$/;
const currency: Check = (v) => typeof v === 'string' && CURRENCY.test(v);
const record: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const waitSeconds: Check = (v) => finite(v) && (v as number) >= 0;
const score: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v);

/** One field of a type: its rule and whether it may be left out. */
type Field = readonly [key: string, check: Check, optional: boolean];
const req = (key: string, check: Check): Field => [key, check, false];
const opt = (key: string, check: Check): Field => [key, check, true];

const ENVELOPE: readonly Field[] = [
  req('event_id', (v) => typeof v === 'string' && v.length >= 1 && v.length <= 64),
  req('occurred_at', isContractInstant),
  opt('schema_version', (v) => v === 1),
  req('type', () => true),
];

const SCORES: Record<string, readonly [number, number]> = { csat: [1, 5], nps: [0, 10], ces: [1, 7] };
const money = [opt('amount', finite), opt('currency', currency)];

function fieldsByType(segments: readonly string[]): Record<string, readonly Field[]> {
  const interaction = req('interaction_id', id);
  return {
    'interaction.opened': [
      interaction,
      req('customer_id', id),
      req('channel', oneOf(CHANNELS)),
      req('category', oneOf(CATEGORIES)),
      opt('priority', oneOf(PRIORITIES)),
      opt('severity', oneOf(SEVERITIES)),
      opt('team_id', id),
      opt('agent_id', id),
      opt('subject', text(1000)),
      opt('attributes', record),
    ],
    'interaction.first_response': [interaction, opt('agent_id', id), opt('team_id', id)],
    'interaction.transferred': [
      interaction,
      req('to_team_id', id),
      opt('from_team_id', id),
      opt('reason', text(1000)),
    ],
    'interaction.escalated': [
      interaction,
      opt('to_team_id', id),
      opt('severity', oneOf(SEVERITIES)),
      opt('reason', text(1000)),
    ],
    'interaction.resolved': [interaction, opt('agent_id', id), opt('resolution_code', text(128))],
    'interaction.reopened': [interaction, opt('reason', text(1000))],
    'interaction.followed_up': [interaction, opt('outcome', oneOf(FOLLOW_UP_OUTCOMES)), opt('agent_id', id)],
    'interaction.abandoned': [interaction, opt('wait_seconds', waitSeconds)],
    'survey.responded': [
      req('customer_id', id),
      req('survey', oneOf(SURVEYS)),
      req('score', score),
      opt('interaction_id', id),
      opt('channel', oneOf(CHANNELS)),
      opt('comment', text(10_000)),
      opt('language', text(35)),
    ],
    'customer.upserted': [
      req('customer_id', id),
      opt('segment', oneOf(segments)),
      opt('region', text(128)),
      opt('signed_up_at', isContractInstant),
      opt('attributes', record),
    ],
    'customer.purchased': [req('customer_id', id), ...money],
    'customer.renewed': [req('customer_id', id), ...money],
    'customer.churned': [req('customer_id', id), opt('reason', text(1000))],
  };
}

/** A type's rules, compiled: every field, and the names of the fields it knows. */
interface TypeRules {
  fields: readonly Field[];
  known: ReadonlySet<string>;
}

/** The fast verdict for one vocabulary of segments: `true` exactly when `EventParser.parse` says ok. */
export type FastValidator = (input: unknown) => boolean;

export function createFastValidator(segments: readonly string[]): FastValidator {
  const rules = new Map<string, TypeRules>();
  for (const [type, own] of Object.entries(fieldsByType(segments))) {
    const fields = [...ENVELOPE, ...own];
    rules.set(type, { fields, known: new Set(fields.map((f) => f[0])) });
  }
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
    const e = input as Record<string, unknown>;
    const type = e['type'];
    const r = typeof type === 'string' ? rules.get(type) : undefined;
    if (r === undefined) return false;
    for (const [key, check, optional] of r.fields) {
      const v = e[key];
      if (v === undefined ? !optional : !check(v)) return false;
    }
    if (type === 'survey.responded') {
      const range = SCORES[e['survey'] as string] as readonly [number, number];
      const s = e['score'] as number;
      if (s < range[0] || s > range[1]) return false;
    }
    return wireAndSizeOk(e, r.known);
  };
}

/** The checks of wire-safety.ts and the size of `attributes` with the unknown extras it absorbs. */
function wireAndSizeOk(e: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  let extras: Record<string, unknown> | undefined;
  let nested = false;
  for (const key in e) {
    const v = e[key];
    if (!known.has(key)) {
      if (!key.isWellFormed()) return false;
      (extras ??= {})[key] = v;
    }
    if (typeof v === 'string') {
      if (!v.isWellFormed() || v.includes('\u0000')) return false;
    } else if (typeof v === 'object' && v !== null) nested = true;
  }
  if (nested) {
    const { errors, walkable } = wireErrors(e);
    if (errors.length > 0 || !walkable) return false;
  }
  const attrs = e['attributes'];
  if (extras === undefined && attrs === undefined) return true;
  return attributesError(JSON.stringify({ ...(attrs as object | undefined), ...extras })) === undefined;
}
