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
import { decodeEvent, parseEvent, topicOf, type CxEvent } from '../ingest/events.ts';
import { estimateSampleSize, generateSample } from '../sample/index.ts';
import { RAW_TABLES, toClickHouseTime, toRow, type Row } from '../ingest/rows.ts';
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

async function main(): Promise<void> {
  const days = 120;
  const per = estimateSampleSize({ seed: 42, customers: 10_000, days }) / 10_000;
  const events: CxEvent[] = [];
  for (const e of generateSample({ seed: 42, customers: Math.ceil((K / per) * 1.15), days })) {
    events.push(e);
    if (events.length >= K) break;
  }
  const bufs = events.map((e) => Buffer.from(JSON.stringify(e)));
  const src = { topic: 'bench.cx.interactions', partition: 0, offset: '123456' };
  console.log(
    `${K} events, ${(bufs.reduce((a, b) => a + b.length, 0) / K).toFixed(0)} bytes each on average\n`,
  );
  const r: Record<string, number> = {};

  console.log('JS stages (main thread):');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const texts = time('TextDecoder (fatal) decode', K, () => bufs.map((b) => utf8.decode(b)), r);
  time('Buffer.toString (no validation)', K, () => bufs.map((b) => b.toString('utf8')), r);
  const parsed = time('JSON.parse', K, () => texts.map((s) => JSON.parse(s) as unknown), r);
  const valid = time('parseEvent (zod schemas)', K, () => parsed.map((p) => parseEvent(p)), r);
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

  // ---- chDB ----
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
    const n = irows.length;
    const settings = { async_insert: 0, date_time_input_format: 'best_effort' } as const;
    const chunks = (size: number) => {
      const out: Row[][] = [];
      for (let i = 0; i < n; i += size) out.push(irows.slice(i, i + size));
      return out;
    };
    const bodies = (size: number) =>
      chunks(size).map((c) => c.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const report = (label: string, m: { wall: number; cpu: number }) => {
      r[`chdb: ${label} wall`] = Math.round((m.wall * 1e6 * 100) / n) / 100;
      r[`chdb: ${label} cpu`] = Math.round((m.cpu * 1e6 * 100) / n) / 100;
      console.log(
        `${((m.wall * 1e6) / n).toFixed(2).padStart(7)} µs/row wall ${((m.cpu * 1e6) / n).toFixed(2).padStart(7)} µs/row CPU  ${label}`,
      );
    };
    const sink = new ClickHouseSink(ch, DB);
    const sinkWrite = (cs: Row[][]) => async () => {
      for (const c of cs) await sink.write({ rows: { interactions: c.map((x) => rowLine(x)) }, dlq: [] });
    };
    const insertBodies =
      (t: string, bs: string[], format = 'JSONEachRow') =>
      async () => {
        for (const b of bs)
          await ch.command({
            query: `INSERT INTO ${DB}.${t} FORMAT ${format}\n${b}`,
            clickhouse_settings: settings,
          });
      };
    const truncate = async () => {
      for (const t of [table, 'no_mv', 'interaction_facts'])
        await ch.command({ query: `TRUNCATE TABLE ${DB}.${t}` });
    };
    await sinkWrite(chunks(20_000).slice(0, 1))(); // warm-up
    await truncate();
    report(
      'ClickHouseSink.write (rowLine + insert), 20k/insert, with MV',
      await cpuOf(sinkWrite(chunks(20_000))),
    );
    await truncate();
    const b20 = bodies(20_000);
    report(
      'pre-serialized body, 20k/insert, Null engine (parse only)',
      await cpuOf(insertBodies('null_engine', b20)),
    );
    report('pre-serialized body, 20k/insert, with MV', await cpuOf(insertBodies(table, b20)));
    await truncate();
    report('pre-serialized body, 20k/insert, no MV', await cpuOf(insertBodies('no_mv', b20)));
    await truncate();
    report('pre-serialized body, 100k/insert, with MV', await cpuOf(insertBodies(table, bodies(100_000))));
    await truncate();
    report('pre-serialized body, 5k/insert, with MV', await cpuOf(insertBodies(table, bodies(5_000))));
    await truncate();
    const ievs = evs.filter((e) => topicOf(e.type) === 'interactions');
    const isoBodies: string[] = [];
    for (let i = 0; i < n; i += 20_000) {
      isoBodies.push(
        irows
          .slice(i, i + 20_000)
          .map((x, j) => JSON.stringify({ ...x, occurred_at: (ievs[i + j] as CxEvent).occurred_at }))
          .join('\n') + '\n',
      );
    }
    report(
      'body with ISO occurred_at (best_effort parses it), 20k, with MV',
      await cpuOf(insertBodies(table, isoBodies)),
    );
    await truncate();
    // chDB's raw insert: the payload as a Buffer next to the SQL, not inlined into the SQL text.
    const raw = (t: string, bs: string[]) => async () => {
      for (const b of bs) {
        await conn.chdb.rawInsert({
          table: `${DB}.${t}`,
          values: Buffer.from(b),
          format: 'JSONEachRow',
          settings: { date_time_input_format: 'best_effort' },
        });
      }
    };
    report(
      'chdb rawInsert(Buffer.from(body)), 20k/insert, Null engine (parse only)',
      await cpuOf(raw('null_engine', b20)),
    );
    report('chdb rawInsert(Buffer.from(body)), 20k/insert, with MV', await cpuOf(raw(table, b20)));
    await truncate();
    report(
      'again: pre-serialized body via SQL text, 20k/insert, with MV',
      await cpuOf(insertBodies(table, b20)),
    );
  } finally {
    await ch.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
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
