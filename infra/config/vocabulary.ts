/**
 * Keys of the centre's own vocabulary: its customer segments (the values `customer.upserted` may carry
 * in `segment`, each with a display name per language) and display names for the teams, agents and
 * regions the events name by id. Keys and names may be any Unicode text (`重要客户`, `华东二组`).
 */
import { z } from 'zod';
import { LOCALES, type Locale } from '../../i18n/locales.ts';
import type { KeyTable, Values } from './keys.ts';

/** The languages display names are written in: the languages cxpulse speaks. */
export const NAME_LOCALES = LOCALES;
export type NameLocale = Locale;
/** A display name in each language. */
export type Names = Record<NameLocale, string>;

/** The dimensions a display-name map may name (segments have their own key). */
export const NAMED_DIMENSIONS = ['team_id', 'agent_id', 'region'] as const;
export type NamedDimension = (typeof NAMED_DIMENSIONS)[number];

export interface SegmentSpec {
  key: string;
  names: Names;
}

const MAX_SEGMENT_CHARS = 64;
const MAX_SEGMENTS = 500;
const MAX_NAME_CHARS = 128;
const chars = (s: string) => [...s].length;

/** A name for both languages: one string for both, or `{"zh-CN": …, "en": …}` (a missing one is the key). */
const names = z.union(
  [
    z.string().min(1, 'a display name must not be empty').max(MAX_NAME_CHARS),
    z.strictObject(
      {
        'zh-CN': z.string().min(1, 'a display name must not be empty').optional(),
        en: z.string().min(1, 'a display name must not be empty').optional(),
      },
      { error: 'display names are objects of "zh-CN" and "en" names' },
    ),
  ],
  { error: 'display names are a string or {"zh-CN": …, "en": …}' },
);

function toNames(key: string, v: z.output<typeof names> | null): Names {
  if (typeof v === 'string') return { 'zh-CN': v, en: v };
  return { 'zh-CN': v?.['zh-CN'] ?? key, en: v?.en ?? key };
}

function tooLong(n: Names): string | undefined {
  return Object.values(n).find((s) => chars(s) > MAX_NAME_CHARS);
}

/** `{"vip": {"zh-CN": …, "en": …}, …}` (JSON) or `vip, regular, new` (names = keys) → the segments. */
const segments = z.string().transform((text, ctx): SegmentSpec[] => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  let entries: [string, z.output<typeof names> | null][];
  if (text.trim().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail('must be a JSON object {"key": {"zh-CN": "…", "en": "…"}} or a comma-separated list');
    }
    const res = z.record(z.string(), names.nullable()).safeParse(parsed);
    if (!res.success) return fail(res.error.issues.map((i) => i.message).join('; '));
    entries = Object.entries(res.data);
  } else {
    entries = text.split(',').map((k) => [k, null]);
  }
  const out: SegmentSpec[] = [];
  const seen = new Set<string>();
  for (const [raw, v] of entries) {
    const key = raw.trim().normalize('NFC');
    if (key.length === 0) return fail('a segment key must not be empty');
    if (chars(key) > MAX_SEGMENT_CHARS)
      return fail(`segment ${JSON.stringify(key)} is longer than ${MAX_SEGMENT_CHARS} characters`);
    if (seen.has(key)) return fail(`segment ${JSON.stringify(key)} is listed twice`);
    seen.add(key);
    const n = toNames(key, v);
    const long = tooLong(n);
    if (long) return fail(`display name ${JSON.stringify(long)} is longer than ${MAX_NAME_CHARS} characters`);
    out.push({ key, names: n });
  }
  if (out.length === 0) return fail('must list at least one segment');
  if (out.length > MAX_SEGMENTS) return fail(`must list at most ${MAX_SEGMENTS} segments`);
  return out;
});

/** `{"team_id": {"t2": {"zh-CN": "华东二组", "en": "East 2"}}, "region": {…}}` → names per value. */
const displayNames = z.string().transform((text, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }
  const values = z
    .record(
      z.string().min(1, 'a value must not be empty').max(128, 'a value is at most 128 characters'),
      names,
    )
    .optional();
  const shape = z.strictObject(
    { team_id: values, agent_id: values, region: values },
    {
      error: (i) =>
        i.code === 'unrecognized_keys'
          ? `unknown ${i.keys.join(', ')}: keys must be ${NAMED_DIMENSIONS.join(', ')}`
          : `must be a JSON object of ${NAMED_DIMENSIONS.join(', ')}`,
    },
  );
  const res = shape.safeParse(parsed);
  if (!res.success) {
    for (const i of res.error.issues)
      ctx.addIssue({ code: 'custom', message: `${i.path.map(String).join('.') || '(value)'}: ${i.message}` });
    return z.NEVER;
  }
  const out: Record<NamedDimension, Record<string, Names>> = { team_id: {}, agent_id: {}, region: {} };
  for (const dim of NAMED_DIMENSIONS) {
    for (const [value, v] of Object.entries(res.data[dim] ?? {})) {
      const n = toNames(value, v);
      const long = tooLong(n);
      if (long) {
        ctx.addIssue({ code: 'custom', message: `${dim}.${value}: display name is too long` });
        return z.NEVER;
      }
      out[dim][value] = n;
    }
  }
  return out;
});

export const vocabularyKeys = {
  CXPULSE_LOCALE: {
    default: 'zh-CN',
    doc: `The language of a reader whose browser asks for none of ${LOCALES.join(', ')} (\`Accept-Language\`; a choice made with the switcher on every page wins), and of a report without \`locale\`: ${LOCALES.map((l) => `\`${l}\``).join(' or ')}.`,
    schema: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }),
  },
  CUSTOMER_SEGMENTS: {
    default:
      '{"vip":{"zh-CN":"重要客户","en":"VIP"},"regular":{"zh-CN":"普通客户","en":"Regular"},"new":{"zh-CN":"新客户","en":"New"}}',
    doc: 'The customer segments `customer.upserted` may carry, in order, with their display names: JSON `{"key": {"zh-CN": "…", "en": "…"}}` (a name may also be one string for both languages), or a comma list of keys (`vip, regular, new`; names = keys). Keys are any Unicode text, non-empty, at most 64 characters, unique; any other `segment` is refused.',
    schema: segments,
  },
  DISPLAY_NAMES: {
    default: '{}',
    doc: 'Display names of teams, agents and regions, as JSON `{"team_id": {"t2": {"zh-CN": "华东二组", "en": "East 2"}}, "agent_id": {…}, "region": {…}}`; served by `GET /api/v1/vocabulary`. Values without a name show as stored.',
    schema: displayNames,
  },
} satisfies KeyTable;

export function vocabulary(v: Values<typeof vocabularyKeys>) {
  return {
    /** CXPULSE_LOCALE: the language when a reader's browser or a report names none */
    locale: v.CXPULSE_LOCALE,
    /** CUSTOMER_SEGMENTS, in order */
    segments: v.CUSTOMER_SEGMENTS,
    /** DISPLAY_NAMES per dimension and stored value */
    displayNames: v.DISPLAY_NAMES,
  };
}
