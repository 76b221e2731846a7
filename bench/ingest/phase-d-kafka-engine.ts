import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { loadConfig } from '../../infra/config.ts';
import { topicNames } from '../../infra/kafka/topics.ts';
import {
  defaultKafkaSettings,
  errorsTableSql,
  errorViewSql,
  kafkaTableSql,
  rawViewSql,
  type KafkaEngineSettings,
} from './kafka-engine-sql.ts';
import { checkMapping } from './mapping-check.ts';
import { childEnv, DATABASE, KINDS, type ChildSpec, type PhaseResult } from './spec.ts';
import { engineVersion, memoryBreakdown, storedCount } from './store.ts';
import { startWindow } from './window.ts';

const POLL_MS = 50;

async function one<T>(ch: ClickHouseClient, query: string): Promise<T | undefined> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  return (await rs.json<T>())[0];
}

/** Rows in the three raw tables (duplicates included) and messages the engine could not parse. */
async function progress(ch: ClickHouseClient): Promise<{ rows: number; errors: number }> {
  const r = await one<{ rows: string; errors: string }>(
    ch,
    `SELECT (SELECT count() FROM ${DATABASE}.interaction_events) + (SELECT count() FROM ${DATABASE}.survey_events)
       + (SELECT count() FROM ${DATABASE}.customer_events) AS rows,
     (SELECT count() FROM ${DATABASE}.kafka_errors) AS errors`,
  );
  return { rows: Number(r?.rows ?? 0), errors: Number(r?.errors ?? 0) };
}

/** What the engine says of its consumers (system.kafka_consumers), when this chDB has the table. */
async function consumers(ch: ClickHouseClient): Promise<unknown[]> {
  try {
    const rs = await ch.query({
      query: `SELECT table, count() AS consumers, sum(num_messages_read) AS messages_read,
        sum(num_commits) AS commits, sum(num_rebalance_assignments) AS rebalances,
        groupUniqArrayArray(exceptions.text) AS exceptions
        FROM system.kafka_consumers WHERE database = '${DATABASE}' GROUP BY table ORDER BY table`,
      format: 'JSONEachRow',
    });
    return await rs.json();
  } catch (err) {
    return [{ unavailable: String(err).slice(0, 200) }];
  }
}

/** The settings of each Kafka table: the fair defaults, then `--kafka-engine` on top. */
function settingsFor(spec: ChildSpec, flushMs: number): Record<string, KafkaEngineSettings> {
  const cores = os.availableParallelism();
  return Object.fromEntries(
    KINDS.map((k) => [
      k,
      { ...defaultKafkaSettings(k, cores, spec.partitions, flushMs), ...spec.kafkaEngineOverrides },
    ]),
  );
}

/**
 * (d) ClickHouse's own Kafka table engine, in the same embedded engine (chDB) on a freshly migrated
 * database: a Kafka table per event topic kind on the bench topics (a fresh consumer group), and a
 * materialized view from each into the same raw tables, whose own views to the facts then fire as in
 * (b) and (c). Not timed: chDB start, migrations, creating the Kafka tables (they consume nothing until
 * a view reads them). The clock starts before the first view is created and stops when count() of the
 * raw tables reaches N (polled every 50 ms); then uniqExact(event_id) must be N, and a sample of the
 * stored rows must equal what toRow makes of the same events (mapping-check.ts).
 */
export async function phaseKafkaEngine(spec: ChildSpec): Promise<PhaseResult> {
  const { createClickHouse } = await import('../../infra/clickhouse.ts');
  const { migrate } = await import('../../transforms/migrate.ts');
  const env = childEnv(spec);
  const cfg = loadConfig(env);
  const ch = createClickHouse(cfg.clickhouse);
  try {
    await migrate(ch, DATABASE);
    const version = await engineVersion(ch);
    const topics = topicNames(spec.topicPrefix);
    const group = env['KAFKA_GROUP_ID'] ?? `bench-d-${Date.now()}`;
    const settings = settingsFor(spec, cfg.ingest.flushMs);
    await ch.command({ query: errorsTableSql(DATABASE) });
    for (const kind of KINDS) {
      const sql = kafkaTableSql(DATABASE, kind, {
        brokers: spec.brokers,
        topic: topics[kind],
        group: `${group}-${kind}`,
        settings: settings[kind] ?? {},
      });
      await ch.command({ query: sql });
    }
    const w = await startWindow(spec);
    const t0 = performance.now();
    // the raw view first: a block streamed before its error view exists loses only error rows
    for (const kind of KINDS) {
      await ch.command({ query: rawViewSql(DATABASE, kind) });
      await ch.command({ query: errorViewSql(DATABASE, kind) });
    }
    const attachMs = performance.now() - t0;
    const stopAt = Date.now() + spec.timeoutMs;
    let p = await progress(ch);
    let firstRowMs: number | undefined;
    while (p.rows + p.errors < spec.events) {
      if (firstRowMs === undefined && p.rows > 0) firstRowMs = performance.now() - t0;
      if (Date.now() > stopAt) {
        throw new Error(
          `kafka engine: timed out after ${spec.timeoutMs} ms at ${p.rows} rows, ${p.errors} errors; ` +
            JSON.stringify(await consumers(ch)),
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      p = await progress(ch);
    }
    const res = w.finish('d', spec.events, {
      engineVersion: version,
      rawRows: p.rows,
      errorRows: p.errors,
      attachMs,
      firstRowMs: firstRowMs ?? performance.now() - t0,
      kafkaSettings: settings,
    });
    await w.stopProfile?.();
    res.detail['memory'] = await memoryBreakdown(ch);
    res.detail['consumers'] = await consumers(ch);
    // stop consuming before reading the results: drop the views (the Kafka tables then idle)
    for (const kind of KINDS) {
      await ch.command({ query: `DROP VIEW ${DATABASE}.kafka_${kind}_mv` });
      await ch.command({ query: `DROP VIEW ${DATABASE}.kafka_${kind}_errors_mv` });
    }
    const stored = await storedCount(ch);
    res.detail['stored'] = stored;
    if (stored.distinct + p.errors < spec.events) {
      throw new Error(`kafka engine: only ${stored.distinct} distinct events stored of ${spec.events}`);
    }
    res.detail['mapping'] = await checkMapping(ch, spec, topics);
    for (const kind of KINDS) await ch.command({ query: `DROP TABLE ${DATABASE}.kafka_${kind}` });
    return res;
  } finally {
    await ch.close();
  }
}
