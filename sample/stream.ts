import type { Config } from '../infra/config.ts';
import { logger } from '../infra/logger.ts';
import type { Topics } from '../infra/kafka/topics.ts';
import { messageKey, topicOf } from '../ingest/events.ts';
import { estimateSampleSize } from './estimate.ts';
import type { SlaPolicy } from './options.ts';
import { generateSample } from './simulation.ts';
import type { EventProducer, OutMessage } from '../ingest/producer.ts';

const CHUNK = 5_000;

/**
 * Produce the seeded sample data set to the event topics, in chunks, logging progress. `more.sla` is the
 * configured SLA policy (`cfg.policy`), `more.timeZone` the centre's zone (default Asia/Shanghai),
 * `more.start` the first day (default: `opts.days` days before today's UTC midnight).
 */
export async function streamSample(
  producer: EventProducer,
  topics: Topics,
  opts: Config['sample'],
  more: { timeZone?: string; sla?: SlaPolicy; start?: Date } = {},
): Promise<number> {
  const { timeZone, sla, start } = more;
  const log = logger('sample');
  const options = {
    seed: opts.seed,
    customers: opts.customers,
    days: opts.days,
    ...(timeZone ? { timeZone } : {}),
    ...(start ? { start } : {}),
  };
  const expected = estimateSampleSize(options);
  log.info({ event_name: 'sample_start', expected, ...options }, `streaming about ${expected} sample events`);
  const pending = new Map<string, OutMessage[]>();
  let sent = 0;
  let nextReport = 0;
  const flush = async (topic: string, msgs: OutMessage[]) => {
    await producer.send(topic, msgs);
    sent += msgs.length;
    if (sent >= nextReport) {
      log.info({ event_name: 'sample_progress', sent, expected }, `sample: ${sent}/${expected} events`);
      nextReport = sent + 100_000;
    }
  };
  for (const e of generateSample({ ...options, ...(sla ? { sla } : {}) })) {
    const topic = topics[topicOf(e.type)];
    const list = pending.get(topic) ?? [];
    list.push({ key: messageKey(e), value: JSON.stringify(e) });
    pending.set(topic, list);
    if (list.length >= CHUNK) {
      pending.set(topic, []);
      await flush(topic, list);
    }
  }
  for (const [topic, list] of pending) if (list.length > 0) await flush(topic, list);
  log.info({ event_name: 'sample_done', sent }, `sample data sent: ${sent} events`);
  return sent;
}
