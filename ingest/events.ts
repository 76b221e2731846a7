import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import type { EventTopicKind } from '../infra/kafka/topics.ts';
import {
  CATEGORIES,
  CHANNELS,
  FOLLOW_UP_OUTCOMES,
  PRIORITIES,
  SEGMENTS,
  SEVERITIES,
  SURVEYS,
} from './vocabulary.ts';
import { attributesError, MAX_INSTANT_MS, MIN_INSTANT_MS, wireErrors } from './wire-safety.ts';
import { createFastValidator, ISO_WITH_OFFSET, isRealInstant } from './fast-validate.ts';

/**
 * The event wire format of docs/contract.md, as zod schemas. One parse reports every bad field at once;
 * unknown extra fields are kept (they end up in the `attributes` JSON column), never rejected.
 */

export {
  CATEGORIES,
  CHANNELS,
  FOLLOW_UP_OUTCOMES,
  PRIORITIES,
  SEGMENTS,
  SEVERITIES,
  SURVEYS,
  type Category,
  type Channel,
  type Priority,
  type Segment,
  type Severity,
  type Survey,
} from './vocabulary.ts';
/** Inclusive score range per survey. */
export const SCORE_RANGE: Record<(typeof SURVEYS)[number], readonly [number, number]> = {
  csat: [1, 5],
  nps: [0, 10],
  ces: [1, 7],
};
export const SUPPORTED_SCHEMA_VERSIONS = [1] as const;

const timestamp = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be an ISO-8601 timestamp string') })
  .refine((s) => ISO_WITH_OFFSET.test(s), {
    error: 'must be an ISO-8601 timestamp with an offset, e.g. 2026-03-02T09:15:00+08:00 or …Z',
    abort: true,
  })
  .refine((s) => isRealInstant(s), { error: 'is not a real date and time', abort: true })
  .refine(
    (s) => {
      const ms = Date.parse(s);
      return ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;
    },
    { error: 'must be between 1900-01-01 and 2299-12-31 (the range the store keeps)' },
  );

const req = (what: string) => ({
  error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : `must be ${what}`),
});
const id = z
  .string(req('a string of 1–128 characters'))
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters');
const text = (max: number) => z.string(req('a string')).max(max, `must be at most ${max} characters`);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (i) => (i.input === undefined ? 'is required' : `must be one of ${values.join(', ')}`),
  });
const attributes = z.record(z.string(), z.unknown(), req('an object')).optional();
const amount = z.number(req('a number')).finite().optional();
const currency = z
  .string(req('a string'))
  .regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as CNY')
  .optional();

const envelope = {
  event_id: z
    .string(req('a string of 1–64 characters'))
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters'),
  occurred_at: timestamp,
  schema_version: z
    .number(req('an integer'))
    .int('must be an integer')
    .refine((v) => (SUPPORTED_SCHEMA_VERSIONS as readonly number[]).includes(v), {
      error: `must be one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`,
    })
    .optional(),
};

const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.looseObject({ ...envelope, type: z.literal(type), ...shape });

/** Every event type's schema, with the customer segments the centre configured. Built once per parser. */
const eventSchemas = (segments: readonly [string, ...string[]]) =>
  [
    ev('interaction.opened', {
      interaction_id: id,
      customer_id: id,
      channel: oneOf(CHANNELS),
      category: oneOf(CATEGORIES),
      priority: oneOf(PRIORITIES).optional(),
      severity: oneOf(SEVERITIES).optional(),
      team_id: id.optional(),
      agent_id: id.optional(),
      subject: text(1000).optional(),
      attributes,
    }),
    ev('interaction.first_response', { interaction_id: id, agent_id: id.optional(), team_id: id.optional() }),
    ev('interaction.transferred', {
      interaction_id: id,
      to_team_id: id,
      from_team_id: id.optional(),
      reason: text(1000).optional(),
    }),
    ev('interaction.escalated', {
      interaction_id: id,
      to_team_id: id.optional(),
      severity: oneOf(SEVERITIES).optional(),
      reason: text(1000).optional(),
    }),
    ev('interaction.resolved', {
      interaction_id: id,
      agent_id: id.optional(),
      resolution_code: text(128).optional(),
    }),
    ev('interaction.reopened', { interaction_id: id, reason: text(1000).optional() }),
    ev('interaction.followed_up', {
      interaction_id: id,
      outcome: oneOf(FOLLOW_UP_OUTCOMES).optional(),
      agent_id: id.optional(),
    }),
    ev('interaction.abandoned', {
      interaction_id: id,
      wait_seconds: z.number(req('a number of seconds')).finite().min(0, 'must not be negative').optional(),
    }),
    ev('survey.responded', {
      customer_id: id,
      survey: oneOf(SURVEYS),
      score: z.number(req('an integer')).int('must be an integer'),
      interaction_id: id.optional(),
      channel: oneOf(CHANNELS).optional(),
      comment: text(10_000).optional(),
      language: text(35).optional(),
    }).superRefine((e, ctx) => {
      const range = SCORE_RANGE[e.survey];
      if (range && Number.isInteger(e.score) && (e.score < range[0] || e.score > range[1])) {
        ctx.addIssue({
          code: 'custom',
          path: ['score'],
          message: `must be between ${range[0]} and ${range[1]} for a ${e.survey} survey`,
        });
      }
    }),
    ev('customer.upserted', {
      customer_id: id,
      segment: oneOf(segments).optional(),
      region: text(128).optional(),
      signed_up_at: timestamp.optional(),
      attributes,
    }),
    ev('customer.purchased', { customer_id: id, amount, currency }),
    ev('customer.renewed', { customer_id: id, amount, currency }),
    ev('customer.churned', { customer_id: id, reason: text(1000).optional() }),
  ] as const;

export type CxEvent = z.output<ReturnType<typeof eventSchemas>[number]>;
export type EventType = CxEvent['type'];

const schemasByType = (segments: readonly [string, ...string[]]) =>
  new Map<string, z.ZodType>(eventSchemas(segments).map((s) => [s.shape.type.value, s as z.ZodType]));
export const EVENT_TYPES = [...schemasByType(SEGMENTS).keys()] as EventType[];

/** Topic (and message key field) of each event type's family. */
export function topicOf(type: EventType): EventTopicKind {
  if (type.startsWith('interaction.')) return 'interactions';
  if (type.startsWith('survey.')) return 'surveys';
  return 'customers';
}

export function messageKey(e: CxEvent): string {
  return topicOf(e.type) === 'interactions'
    ? (e as { interaction_id: string }).interaction_id
    : (e as { customer_id: string }).customer_id;
}

export interface FieldError {
  /** Dotted path of the offending field (`score`, `attributes.x`), or `(event)` for the whole event. */
  field: string;
  message: string;
}

export type ParseResult = { ok: true; event: CxEvent } | { ok: false; errors: FieldError[] };

/** What the validation depends on besides the contract: the centre's segments (CUSTOMER_SEGMENTS). */
export interface EventVocabulary {
  /** The values `segment` may take; default the contract's SEGMENTS. */
  segments: readonly string[];
}

/** Validation and decoding of events against one vocabulary (schemas built once, at creation). */
export interface EventParser {
  /** Validate one decoded JSON value as an event; every bad field is reported. */
  parse(input: unknown): ParseResult;
  /** Bytes of one Kafka message or NDJSON line → event (see {@link decodeEvent}). */
  decode(bytes: Buffer | null): DecodeResult;
}

/**
 * A parser validating `segment` against `vocabulary.segments` (the collector, ingester, replay, CLI).
 * `fastPath: false` leaves out the fast verdict of fast-validate.ts (tests compare the two).
 */
export function createEventParser(
  vocabulary: EventVocabulary,
  options: { fastPath?: boolean } = {},
): EventParser {
  const [first, ...rest] = vocabulary.segments;
  if (first === undefined) throw new Error('createEventParser: the segment list is empty');
  const byType = schemasByType([first, ...rest]);
  const valid = createFastValidator(vocabulary.segments);
  // The fast verdict first; the schemas only explain a refusal (their output is the input, unchanged).
  const parse = (input: unknown): ParseResult =>
    options.fastPath !== false && valid(input)
      ? { ok: true, event: input as CxEvent }
      : parseWith(byType, input);
  return { parse, decode: (bytes) => decodeWith(parse, bytes) };
}

/** The parser of the contract's default vocabulary (segments vip, regular, new). */
export const defaultEventParser: EventParser = createEventParser({ segments: SEGMENTS });

/** Validate one decoded JSON value as an event (default segments); every bad field is reported. */
export function parseEvent(input: unknown): ParseResult {
  return defaultEventParser.parse(input);
}

function parseWith(byType: Map<string, z.ZodType>, input: unknown): ParseResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      errors: [{ field: '(event)', message: `must be a JSON object, got ${describe(input)}` }],
    };
  }
  const type = (input as Record<string, unknown>)['type'];
  const schema = typeof type === 'string' ? byType.get(type) : undefined;
  if (!schema) {
    // Without a known type the other rules are unknown; still report the envelope's own problems.
    const env = z.looseObject(envelope).safeParse(input);
    const errors: FieldError[] = [
      {
        field: 'type',
        message:
          type === undefined
            ? 'is required'
            : `must be one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(type)?.slice(0, 80)}`,
      },
    ];
    if (!env.success) errors.push(...toFieldErrors(env.error));
    return { ok: false, errors };
  }
  const { errors: wire, walkable } = wireErrors(input as Record<string, unknown>);
  if (!walkable) return { ok: false, errors: wire };
  const res = schema.safeParse(input);
  if (!res.success) return { ok: false, errors: [...wire, ...toFieldErrors(res.error)] };
  const size = extrasError(res.data as Record<string, unknown>, schema);
  if (wire.length > 0 || size) return { ok: false, errors: size ? [...wire, size] : wire };
  return { ok: true, event: res.data as CxEvent };
}

/** `attributes` with the unknown fields it absorbs (rows.ts) must stay within MAX_ATTRIBUTES_BYTES. */
function extrasError(event: Record<string, unknown>, schema: z.ZodType): FieldError | undefined {
  const shape = (schema as unknown as { shape: Record<string, unknown> }).shape;
  let extras: Record<string, unknown> | undefined;
  for (const k in event) if (!(k in shape)) (extras ??= {})[k] = event[k];
  const attrs = event['attributes'];
  if (extras === undefined && attrs === undefined) return undefined;
  return attributesError(JSON.stringify({ ...(attrs as object | undefined), ...extras }));
}

function toFieldErrors(err: z.ZodError): FieldError[] {
  return err.issues.map((i) => ({
    field: i.path.length ? i.path.map(String).join('.') : '(event)',
    message: i.message,
  }));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

/** One-line reason for logs and the DLQ: "score: must be between 1 and 5 …; occurred_at: …". */
export function summarize(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

export type DecodeResult = ParseResult & { raw: Buffer };

/**
 * Decode the bytes of one Kafka message or NDJSON line: UTF-8, then JSON, then the event rules (default
 * segments). Never throws; binary junk and truncated JSON are reported as such.
 */
export function decodeEvent(bytes: Buffer | null): DecodeResult {
  return defaultEventParser.decode(bytes);
}

function decodeWith(parse: (input: unknown) => ParseResult, bytes: Buffer | null): DecodeResult {
  const raw = bytes ?? Buffer.alloc(0);
  if (raw.length === 0)
    return { ok: false, errors: [{ field: '(event)', message: 'message is empty' }], raw };
  if (!isUtf8(raw)) {
    return { ok: false, errors: [{ field: '(event)', message: 'message is not valid UTF-8' }], raw };
  }
  const textValue = raw.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(textValue);
  } catch (err) {
    return {
      ok: false,
      errors: [{ field: '(event)', message: `invalid JSON: ${(err as Error).message}` }],
      raw,
    };
  }
  return { ...parse(json), raw };
}
