/**
 * Where the ingest CPU goes, stage by stage, in one process: the per-event work of the Ingester
 * (ingest/consumer.ts writeChunk) taken apart on K sample events held in memory (default 200,000), and
 * the chDB side of an insert measured alone with a few variants (Null engine = parsing only, no MV, batch sizes). Complements bench/ingest.ts, which
 * measures the whole pipeline; this one tells which change in ingest/ would pay.
 *
 *   npx tsx --expose-gc bench/ingest-breakdown.ts [--events K]
 *
 * JS stages are single-threaded: µs/event = wall time / K (after a warm-up pass). chDB stages report
 * wall time and the CPU of the whole process (chDB works on its own threads) per event.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { createEventParser, decodeEvent, parseEvent, topicOf, type CxEvent } from '../ingest/events.ts';
import { estimateSampleSize, generateSample } from '../sample/index.ts';
import { createFastValidator } from '../ingest/fast-validate.ts';
import { RAW_TABLES, toClickHouseTime, toRow, type Row } from '../ingest/rows.ts';
import { SEGMENTS } from '../ingest/vocabulary.ts';
import { ClickHouseSink, rowLine } from '../ingest/sink.ts';
import { migrate } from '../transforms/migrate.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const argIdx = process.argv.indexOf('--events');
const K = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 200_000;
const DB = 'cxbreak';

function time<T>(label: string, n: number, fn: () => T, results: Record<string, number>): T {
  fn(); // warm-up (JIT)
  gc();
  const t = performance.now();
  const out = fn();
  const us = ((performance.now() - t) * 1000) / n;
  results[label] = Math.round(us * 100) / 100;
  console.log(`${us.toFixed(2).padStart(7)} µs/event  ${label}`);
  return out;
}

const UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A proposal for rows.ts: toClickHouseTime without a Date for the common `…:ss.mmmZ` form. */
function fastTime(iso: string): string {
  return UTC_MS.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : toClickHouseTime(iso);
}

async function cpuOf<T>(fn: () => Promise<T>): Promise<{ out: T; wall: number; cpu: number }> {
  gc();
  const c0 = process.cpuUsage();
  const t = performance.now();
  const out = await fn();
  const wall = (performance.now() - t) / 1000;
  const c = process.cpuUsage(c0);
  return { out, wall, cpu: (c.user + c.system) / 1e6 };
}

/** K sample events (seed 42, 120 days) and their JSON bytes. */
function sampleEvents(): Buffer[] {
  const days = 120;
  const per = estimateSampleSize({ seed: 42, customers: 10_000, days }) / 10_000;
  const events: CxEvent[] = [];
  for (const e of generateSample({ seed: 42, customers: Math.ceil((K / per) * 1.15), days })) {
    events.push(e);
    if (events.length >= K) break;
  }
  return events.map((e) => Buffer.from(JSON.stringify(e)));
}

/** The JS stages one after the other over all K events: the valid events and their rows. */
function jsStages(bufs: Buffer[], r: Record<string, number>): { evs: CxEvent[]; rows: Row[] } {
  const src = { topic: 'bench.cx.interactions', partition: 0, offset: '123456' };
  console.log('JS stages (main thread):');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const texts = time('TextDecoder (fatal) decode', K, () => bufs.map((b) => utf8.decode(b)), r);
  time('Buffer.toString (no validation)', K, () => bufs.map((b) => b.toString('utf8')), r);
  const parsed = time('JSON.parse', K, () => texts.map((s) => JSON.parse(s) as unknown), r);
  const valid = time(
    'parseEvent (fast verdict, zod only on a refusal)',
    K,
    () => parsed.map((p) => parseEvent(p)),
    r,
  );
  const zodOnly = createEventParser({ segments: SEGMENTS }, { fastPath: false });
  time('zod schemas alone (before the fast verdict)', K, () => parsed.map((p) => zodOnly.parse(p)), r);
  const fastValid = createFastValidator(SEGMENTS);
  time('fast verdict alone (ingest/fast-validate.ts)', K, () => parsed.map((p) => fastValid(p)), r);
  time('decodeEvent (all of the above)', K, () => bufs.map((b) => decodeEvent(b)), r);
  const evs = valid.map((v) => (v.ok ? v.event : (undefined as never)));
  const rows = time('toRow', K, () => evs.map((e) => toRow(e, src).row), r);
  time('toClickHouseTime (occurred_at only)', K, () => evs.map((e) => toClickHouseTime(e.occurred_at)), r);
  const fast = time(
    'proposal: fastTime (occurred_at only, no Date)',
    K,
    () => evs.map((e) => fastTime(e.occurred_at)),
    r,
  );
  evs.forEach((e, i) => {
    if (fast[i] !== toClickHouseTime(e.occurred_at)) throw new Error(`fastTime differs for ${e.occurred_at}`);
  });
  const lines = time('rowLine (JSON.stringify of the row)', K, () => rows.map((x) => rowLine(x)), r);
  void lines;
  const head = Buffer.from(`{"_topic":"${src.topic}","_partition":0,"_offset":"${src.offset}",`);
  time(
    'proposal: raw bytes spliced after a source prefix (Buffer.concat)',
    K,
    () => bufs.map((b) => Buffer.concat([head, b.subarray(1)])),
    r,
  );
  return { evs, rows };
}

type Client = ReturnType<typeof createClient>;
type Connection = ReturnType<typeof createChdbConnection>;

/** The chDB side on the interaction rows: inserts of several shapes, each reported per row. */
class ChdbStages {
  readonly table = RAW_TABLES.interactions;
  readonly n: number;
  private readonly settings = { async_insert: 0, date_time_input_format: 'best_effort' } as const;
  private readonly sink: ClickHouseSink;
  constructor(
    readonly ch: Client,
    readonly conn: Connection,
    readonly irows: Row[],
    private readonly r: Record<string, number>,
  ) {
    this.n = irows.length;
    this.sink = new ClickHouseSink(ch, DB);
  }

  chunks(size: number): Row[][] {
    const out: Row[][] = [];
    for (let i = 0; i < this.n; i += size) out.push(this.irows.slice(i, i + size));
    return out;
  }

  bodies(size: number): string[] {
    return this.chunks(size).map((c) => c.map((x) => JSON.stringify(x)).join('\n') + '\n');
  }

  async report(label: string, fn: () => Promise<void>): Promise<void> {
    const m = await cpuOf(fn);
    const n = this.n;
    this.r[`chdb: ${label} wall`] = Math.round((m.wall * 1e6 * 100) / n) / 100;
    this.r[`chdb: ${label} cpu`] = Math.round((m.cpu * 1e6 * 100) / n) / 100;
    console.log(
      `${((m.wall * 1e6) / n).toFixed(2).padStart(7)} µs/row wall ${((m.cpu * 1e6) / n).toFixed(2).padStart(7)} µs/row CPU  ${label}`,
    );
  }

  sinkWrite(cs: Row[][]) {
    return async () => {
      for (const c of cs)
        await this.sink.write({ rows: { interactions: c.map((x) => rowLine(x)) }, dlq: [] });
    };
  }

  insertBodies(t: string, bs: string[], format = 'JSONEachRow') {
    return async () => {
      for (const b of bs)
        await this.ch.command({
          query: `INSERT INTO ${DB}.${t} FORMAT ${format}\n${b}`,
          clickhouse_settings: this.settings,
        });
    };
  }

  /** chDB's raw insert: the payload as a Buffer next to the SQL, not inlined into the SQL text. */
  rawInsert(t: string, bs: string[]) {
    return async () => {
      for (const b of bs) {
        await this.conn.chdb.rawInsert({
          table: `${DB}.${t}`,
          values: Buffer.from(b),
          format: 'JSONEachRow',
          settings: { date_time_input_format: 'best_effort' },
        });
      }
    };
  }

  async truncate(): Promise<void> {
    for (const t of [this.table, 'no_mv', 'interaction_facts'])
      await this.ch.command({ query: `TRUNCATE TABLE ${DB}.${t}` });
  }
}

/** The insert variants through the SQL text: the sink, Null engine, with and without the MV, sizes. */
async function sqlTextVariants(s: ChdbStages): Promise<string[]> {
  const table = s.table;
  await s.sinkWrite(s.chunks(20_000).slice(0, 1))(); // warm-up
  await s.truncate();
  await s.report(
    'ClickHouseSink.write (rowLine + insert), 20k/insert, with MV',
    s.sinkWrite(s.chunks(20_000)),
  );
  await s.truncate();
  const b20 = s.bodies(20_000);
  await s.report(
    'pre-serialized body, 20k/insert, Null engine (parse only)',
    s.insertBodies('null_engine', b20),
  );
  await s.report('pre-serialized body, 20k/insert, with MV', s.insertBodies(table, b20));
  await s.truncate();
  await s.report('pre-serialized body, 20k/insert, no MV', s.insertBodies('no_mv', b20));
  await s.truncate();
  await s.report('pre-serialized body, 100k/insert, with MV', s.insertBodies(table, s.bodies(100_000)));
  await s.truncate();
  await s.report('pre-serialized body, 5k/insert, with MV', s.insertBodies(table, s.bodies(5_000)));
  await s.truncate();
  return b20;
}

/** ISO times parsed by chDB, and chDB's raw insert, against the SQL text once more. */
async function otherVariants(s: ChdbStages, ievs: CxEvent[], b20: string[]): Promise<void> {
  const table = s.table;
  const isoBodies: string[] = [];
  for (let i = 0; i < s.n; i += 20_000) {
    isoBodies.push(
      s.irows
        .slice(i, i + 20_000)
        .map((x, j) => JSON.stringify({ ...x, occurred_at: (ievs[i + j] as CxEvent).occurred_at }))
        .join('\n') + '\n',
    );
  }
  await s.report(
    'body with ISO occurred_at (best_effort parses it), 20k, with MV',
    s.insertBodies(table, isoBodies),
  );
  await s.truncate();
  await s.report(
    'chdb rawInsert(Buffer.from(body)), 20k/insert, Null engine (parse only)',
    s.rawInsert('null_engine', b20),
  );
  await s.report('chdb rawInsert(Buffer.from(body)), 20k/insert, with MV', s.rawInsert(table, b20));
  await s.truncate();
  await s.report('again: pre-serialized body via SQL text, 20k/insert, with MV', s.insertBodies(table, b20));
}

/** The chDB stages in a fresh data dir, removed after. */
async function chdbStages(evs: CxEvent[], rows: Row[], r: Record<string, number>): Promise<void> {
  console.log('\nchDB inserts (interaction rows only; wall and process CPU per row):');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cxpulse-breakdown-'));
  // As infra/clickhouse.ts builds the embedded client, keeping the connection for its raw-insert path.
  const conn = createChdbConnection({ path: dir });
  const ch = createClient({
    connection: conn as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'],
  });
  try {
    await migrate(ch, DB);
    const table = RAW_TABLES.interactions;
    await ch.command({ query: `CREATE TABLE ${DB}.no_mv AS ${DB}.${table}` });
    await ch.command({ query: `CREATE TABLE ${DB}.null_engine AS ${DB}.${table} ENGINE = Null` });
    const irows = rows.filter((x, i) => topicOf((evs[i] as CxEvent).type) === 'interactions');
    const s = new ChdbStages(ch, conn, irows, r);
    const b20 = await sqlTextVariants(s);
    await otherVariants(
      s,
      evs.filter((e) => topicOf(e.type) === 'interactions'),
      b20,
    );
  } finally {
    await ch.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const bufs = sampleEvents();
  console.log(
    `${K} events, ${(bufs.reduce((a, b) => a + b.length, 0) / K).toFixed(0)} bytes each on average\n`,
  );
  const r: Record<string, number> = {};
  const { evs, rows } = jsStages(bufs, r);
  await chdbStages(evs, rows, r);
  const out = path.join(
    path.dirname(new URL(import.meta.url).pathname),
    'results',
    'ingest-breakdown-latest.json',
  );
  await fsp.mkdir(path.dirname(out), { recursive: true });
  await fsp.writeFile(
    out,
    JSON.stringify({ at: new Date().toISOString(), events: K, usPerEvent: r }, null, 2) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
