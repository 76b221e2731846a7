import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { withDeadline } from '../infra/deadline.ts';
import { CxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import type { PipelineMetrics } from '../infra/metrics.ts';
import type { Topics } from '../infra/kafka/topics.ts';
import { defaultEventParser, messageKey, topicOf, type EventParser, type FieldError } from './events.ts';
import type { EventProducer, OutMessage } from './producer.ts';

/** Largest request body `POST /api/v1/events` accepts (docs/contract.md). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface CollectorDeps {
  producer: EventProducer;
  topics: Topics;
  tokens: readonly string[];
  metrics: PipelineMetrics;
  /** Longest wait for Kafka's acknowledgement before the answer is 503 (COLLECTOR_DEADLINE_MS). */
  deadlineMs: number;
  /** Validation with the centre's segments (CUSTOMER_SEGMENTS); default the contract's. */
  events?: EventParser;
}

/** Requests waiting for Kafka at once; past this the collector answers 503 at once instead of queueing. */
const MAX_IN_FLIGHT = 512;

export interface Rejection {
  /** Position in the posted array (0 for a single event). */
  index: number;
  event_id: string | undefined;
  errors: FieldError[];
}

/**
 * `POST /api/v1/events`: one event or an array of them (≤ 1 MiB). Every event is validated against the
 * contract; the valid ones are produced to their topic (keyed by interaction_id or customer_id) and
 * acknowledged by every in-sync replica before the `202 {accepted, rejected}` answer. When no event of
 * the request is valid the answer is `400 invalid_event` listing every bad field of every event.
 */
export function collectorRouter(deps: CollectorDeps): Router {
  const log = logger('collector');
  const router = express.Router();
  const produce = producerWithin(deps);
  const events = deps.events ?? defaultEventParser;
  router.post(
    '/api/v1/events',
    ingestTokenCheck(deps),
    express.raw({ type: () => true, limit: MAX_BODY_BYTES }),
    async (req: Request, res: Response) => {
      const type = req.get('content-type') ?? '';
      if (type && !/^application\/(json|x-ndjson)\b|^text\/plain\b/i.test(type)) {
        throw new CxError(
          'unsupported_media_type',
          `Content-Type ${type} is not accepted: send application/json`,
        );
      }
      const body = parseBody(req.body as Buffer | undefined, /^application\/x-ndjson\b/i.test(type));
      const items = Array.isArray(body) ? body : [body];
      if (items.length === 0) throw new CxError('invalid_event', 'the array holds no events');
      const { byTopic, rejected } = sortEvents(items, deps.topics, events);
      if (rejected.length === items.length) {
        deps.metrics.httpEventsRejected.inc({ reason: 'invalid_event' }, rejected.length);
        const first = rejected[0] as Rejection;
        const where = items.length === 1 ? '' : `event ${first.index}: `;
        throw new CxError(
          'invalid_event',
          `${where}${first.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
          { details: { accepted: 0, rejected } },
        );
      }
      const accepted = items.length - rejected.length;
      await produce(byTopic, accepted);
      deps.metrics.httpEventsAccepted.inc(accepted);
      if (rejected.length > 0)
        deps.metrics.httpEventsRejected.inc({ reason: 'invalid_event' }, rejected.length);
      log.debug({ event_name: 'events_accepted', accepted, rejected: rejected.length }, 'events accepted');
      res.status(202).json({ accepted, rejected });
    },
  );
  return router;
}

/** 401 without one of the ingest tokens (compared in constant time). */
function ingestTokenCheck(deps: CollectorDeps): RequestHandler {
  const tokens = deps.tokens.map((t) => Buffer.from(t));
  return (req, _res, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const given = m ? Buffer.from(m[1] as string) : undefined;
    if (!given || !tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) {
      deps.metrics.httpEventsRejected.inc({ reason: 'unauthorized' });
      next(new CxError('unauthorized', 'an ingest token is required: Authorization: Bearer <token>'));
      return;
    }
    next();
  };
}

/** The valid events as messages per topic (keyed as the contract says), and the refused ones. */
function sortEvents(items: unknown[], topics: Topics, events: EventParser) {
  const rejected: Rejection[] = [];
  const byTopic = new Map<string, OutMessage[]>();
  items.forEach((item, index) => {
    const res = events.parse(item);
    if (!res.ok) {
      const id = (item as { event_id?: unknown } | null)?.event_id;
      rejected.push({ index, event_id: typeof id === 'string' ? id : undefined, errors: res.errors });
      return;
    }
    const topic = topics[topicOf(res.event.type)];
    const list = byTopic.get(topic) ?? [];
    list.push({ key: messageKey(res.event), value: JSON.stringify(res.event) });
    byTopic.set(topic, list);
  });
  return { byTopic, rejected };
}

/**
 * Produce a request's messages and wait for Kafka's acknowledgement at most `deadlineMs`; past that, or
 * with MAX_IN_FLIGHT requests already waiting, `503 kafka_unavailable` — never a hang.
 */
function producerWithin(deps: CollectorDeps) {
  let inFlight = 0;
  const unavailable = (why: string) =>
    new CxError('kafka_unavailable', `${why}: no event of this request was accepted; send it again later`, {
      retriable: true,
    });
  return async (byTopic: Map<string, OutMessage[]>, count: number): Promise<void> => {
    if (inFlight >= MAX_IN_FLIGHT) throw unavailable(`${inFlight} requests are already waiting for Kafka`);
    inFlight++;
    try {
      await withDeadline(
        (signal) => Promise.all([...byTopic].map(([topic, msgs]) => deps.producer.send(topic, msgs, signal))),
        deps.deadlineMs,
        () => unavailable(`Kafka did not acknowledge within ${deps.deadlineMs} ms`),
      );
    } catch (err) {
      deps.metrics.httpEventsRejected.inc({ reason: 'kafka_unavailable' }, count);
      throw err;
    } finally {
      inFlight--;
    }
  };
}

/** JSON (one event or an array), or NDJSON (one event per line) when the client says so. */
function parseBody(buf: Buffer | undefined, ndjson: boolean): unknown {
  if (!buf || buf.length === 0)
    throw new CxError('invalid_json', 'the request body is empty: send one event or an array');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new CxError('invalid_json', 'the request body is not valid UTF-8 text');
  }
  if (ndjson) {
    return text
      .split('\n')
      .map((line, i) => [line.trim(), i + 1] as const)
      .filter(([line]) => line.length > 0)
      .map(([line, n]) => {
        try {
          return JSON.parse(line) as unknown;
        } catch (err) {
          throw new CxError(
            'invalid_json',
            `line ${n} of the NDJSON body is not valid JSON: ${(err as Error).message}`,
          );
        }
      });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CxError('invalid_json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}
