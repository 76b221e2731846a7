import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';
import { parse as parseCsv } from 'csv-parse';
import { CxError } from '../infra/errors.ts';
import type { Topics } from '../infra/kafka/topics.ts';
import {
  defaultEventParser,
  messageKey,
  summarize,
  topicOf,
  type CxEvent,
  type EventParser,
  type FieldError,
} from './events.ts';
import { MAX_BODY_BYTES } from './collector.ts';
import type { EventProducer, OutMessage } from './producer.ts';

/**
 * `cxpulse replay FILE…`: send events from NDJSON or CSV files, either through the HTTP collector
 * (same validation and auth as any producer) or straight to Kafka (validated here first). Bad lines are
 * reported with file and line and never sent; a progress bar shows bytes read.
 */

export type ReplayTarget =
  { kind: 'http'; url: string; token: string } | { kind: 'kafka'; producer: EventProducer; topics: Topics };

export interface ReplayOptions {
  files: string[];
  target: ReplayTarget;
  /** ndjson | csv; default from the extension (.csv → csv) */
  format?: 'ndjson' | 'csv';
  progress?: boolean;
  /** Events per request / produce call. */
  batchSize?: number;
  /** Validation with the centre's segments (CUSTOMER_SEGMENTS); default the contract's. */
  events?: EventParser;
}

export interface ReplayResult {
  read: number;
  sent: number;
  rejected: { file: string; line: number; errors: FieldError[] }[];
}

interface Item {
  file: string;
  line: number;
  value: unknown;
  text: string;
}

/** Numeric fields of the contract: a CSV cell holds text, the event wants a number. */
const NUMERIC = new Set(['score', 'wait_seconds', 'amount', 'schema_version']);

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const total = opts.files.reduce((s, f) => s + statSync(f).size, 0);
  const bar = opts.progress
    ? new SingleBar(
        {
          format: 'replay [{bar}] {percentage}% | {value}/{total} bytes | {events} events',
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(total, 0, { events: 0 });
  const result: ReplayResult = { read: 0, sent: 0, rejected: [] };
  const batchSize = opts.batchSize ?? 2_000;
  let batch: Item[] = [];
  let done = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    await send(opts.target, items, result, opts.events ?? defaultEventParser);
    bar?.update(done, { events: result.sent });
  };
  for (const file of opts.files) {
    const format = opts.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
    const stream = createReadStream(file);
    let fileBytes = 0;
    stream.on('data', (c) => {
      fileBytes += c.length;
      bar?.update(done + fileBytes, { events: result.sent });
    });
    for await (const item of format === 'csv' ? csvItems(file, stream) : ndjsonItems(file, stream)) {
      result.read++;
      batch.push(item);
      if (batch.length >= batchSize) await flush();
    }
    done += statSync(file).size;
  }
  await flush();
  bar?.update(total, { events: result.sent });
  bar?.stop();
  return result;
}

async function* ndjsonItems(file: string, stream: Readable): AsyncGenerator<Item> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      value = new SyntaxError(`invalid JSON: ${(err as Error).message}`);
    }
    yield { file, line, value, text };
  }
}

async function* csvItems(file: string, stream: Readable): AsyncGenerator<Item> {
  const parser = stream.pipe(
    parseCsv({ columns: true, skip_empty_lines: true, trim: true, relax_column_count: false }),
  );
  let line = 1;
  for await (const rec of parser as AsyncIterable<Record<string, string>>) {
    line++;
    const value: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (v === '') continue;
      if (NUMERIC.has(k) && /^-?\d+(\.\d+)?$/.test(v)) value[k] = Number(v);
      else if (k === 'attributes' && v.startsWith('{')) value[k] = JSON.parse(v) as unknown;
      else value[k] = v;
    }
    yield { file, line, value, text: JSON.stringify(value) };
  }
}

async function send(
  target: ReplayTarget,
  items: Item[],
  result: ReplayResult,
  events: EventParser,
): Promise<void> {
  const valid: (Item & { event: CxEvent })[] = [];
  for (const it of items) {
    if (it.value instanceof SyntaxError) {
      result.rejected.push({
        file: it.file,
        line: it.line,
        errors: [{ field: '(event)', message: it.value.message }],
      });
      continue;
    }
    const res = events.parse(it.value);
    if (!res.ok) result.rejected.push({ file: it.file, line: it.line, errors: res.errors });
    else valid.push({ ...it, event: res.event });
  }
  if (valid.length === 0) return;
  if (target.kind === 'kafka') {
    const byTopic = new Map<string, OutMessage[]>();
    for (const it of valid) {
      const topic = target.topics[topicOf(it.event.type)];
      const list = byTopic.get(topic) ?? [];
      list.push({ key: messageKey(it.event), value: it.text });
      byTopic.set(topic, list);
    }
    for (const [topic, msgs] of byTopic) await target.producer.send(topic, msgs);
    result.sent += valid.length;
    return;
  }
  // HTTP: split so that no request body passes the collector's limit.
  let chunk: Item[] = [];
  let bytes = 2;
  for (const it of valid) {
    const size = Buffer.byteLength(it.text) + 1;
    if (chunk.length > 0 && bytes + size > MAX_BODY_BYTES) {
      await post(target, chunk, result);
      chunk = [];
      bytes = 2;
    }
    chunk.push(it);
    bytes += size;
  }
  if (chunk.length > 0) await post(target, chunk, result);
}

async function post(
  target: Extract<ReplayTarget, { kind: 'http' }>,
  items: Item[],
  result: ReplayResult,
): Promise<void> {
  const res = await fetch(new URL('/api/v1/events', target.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
    body: `[${items.map((i) => i.text).join(',')}]`,
  });
  const body = (await res.json().catch(() => ({}))) as {
    accepted?: number;
    rejected?: { index: number; errors: FieldError[] }[];
    error?: {
      code: string;
      message: string;
      details?: { rejected?: { index: number; errors: FieldError[] }[] };
    };
  };
  if (res.status === 202 || (res.status === 400 && body.error?.code === 'invalid_event')) {
    const rejected = body.rejected ?? body.error?.details?.rejected ?? [];
    for (const r of rejected) {
      const it = items[r.index];
      if (it) result.rejected.push({ file: it.file, line: it.line, errors: r.errors });
    }
    result.sent += body.accepted ?? 0;
    return;
  }
  throw new CxError(
    res.status === 401 ? 'unauthorized' : 'kafka_unavailable',
    `the collector at ${target.url} answered ${res.status}: ${body.error?.message ?? 'no error message'}`,
    { retriable: res.status >= 500 },
  );
}

/** Human-readable lines for rejected records. */
export function describeRejections(r: ReplayResult, max = 20): string[] {
  return r.rejected.slice(0, max).map((x) => `${x.file}:${x.line}: ${summarize(x.errors)}`);
}
