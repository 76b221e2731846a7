import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { logger } from '../../infra/logger.ts';
import type { Subset } from '../../metrics/query/facts.ts';
import { scalar, type Scratch } from '../sql.ts';

/**
 * What a refresh recomputes: the customers (and interactions, survey answers) whose KPI facts may have
 * changed, as scratch tables, and the row subsets of each facts table to derive again.
 */

/** What a refresh recomputes: row subsets per table, split into chunks by a condition on customer_id. */
export interface Plan {
  customers: number;
  interactions: number;
  subsets: (chunk: string) => { interactions: Subset; surveys: Subset; customers: Subset };
}

/** Everything: every customer seen anywhere, all of their rows. */
export async function planFull(ch: ClickHouseClient, db: string, tmp: Scratch): Promise<Plan> {
  const all = tmp.name('customers');
  await ch.command({ query: `CREATE TABLE ${all} (customer_id String) ENGINE = Memory` });
  await ch.command({
    query: `INSERT INTO ${all} SELECT DISTINCT customer_id FROM (
              SELECT customer_id FROM ${db}.interaction_facts WHERE customer_id != ''
              UNION ALL SELECT customer_id FROM ${db}.survey_events
              UNION ALL SELECT customer_id FROM ${db}.customer_events)`,
  });
  return {
    customers: await scalar(ch, `SELECT count() FROM ${all}`),
    interactions: await scalar(ch, `SELECT uniqExact(interaction_id) FROM ${db}.interaction_facts`),
    subsets: (chunk) => {
      const who = { customers: `SELECT customer_id FROM ${all} WHERE ${chunk}` };
      return { interactions: who, surveys: who, customers: who };
    },
  };
}

/**
 * What rows ingested since `since` can have changed:
 * - customers with customer events (attributes, churn): all their rows;
 * - interactions with events: themselves and, per (customer, category), every later interaction and the
 *   one just before the earliest changed when its next contact, which decides its FCR, may have
 *   changed: when it was resolved and its repeat window (`fcr_days` after the resolution, a day more
 *   for rounding) reaches the earliest changed one; otherwise no new contact can change its facts;
 * - survey answers that arrived, and those of interactions with events (the attribution may have moved).
 */
export async function planIncremental(
  ch: ClickHouseClient,
  db: string,
  tmp: Scratch,
  since: string,
  fcrDays: number,
): Promise<Plan> {
  const [cc, changed, touched, seq, start, ids, surveys] = [
    'cc',
    'changed',
    'touched',
    'seq',
    'start',
    'ids',
    'surveys',
  ].map(tmp.name) as [string, string, string, string, string, string, string];
  const recent = `_ingested_at >= {since:DateTime64(3, 'UTC')}`;
  const run = (query: string) => planStep(ch, query, { since, fcr_days: fcrDays });
  await run(`CREATE TABLE ${cc} ENGINE = Memory AS
             SELECT DISTINCT customer_id FROM ${db}.customer_events WHERE ${recent}`);
  await run(`CREATE TABLE ${changed} ENGINE = Memory AS
             SELECT interaction_id, customer_id, category, assumeNotNull(opened_at) AS opened_at
             FROM ${db}.interaction_facts_v
             WHERE interaction_id IN (SELECT interaction_id FROM ${db}.interaction_events WHERE ${recent})
               AND opened_at IS NOT NULL`);
  await run(`CREATE TABLE ${touched} ENGINE = Memory AS
             SELECT customer_id, category, min(opened_at) AS m FROM ${changed} GROUP BY customer_id, category`);
  // The sequences of the touched (customer, category) pairs and of the customers whose attributes
  // changed: the stored facts (one row per interaction already refreshed) and the interactions that
  // changed since (some of them new).
  // `reach`: until when a next contact changes the row's FCR (never for an unresolved one; always for a
  // changed one, derived anyway)
  await run(`CREATE TABLE ${seq} ENGINE = Memory AS
             SELECT interaction_id, argMax(customer_id, rank) AS customer_id, argMax(category, rank) AS category,
                    argMax(opened_at, rank) AS opened_at, argMax(reach, rank) AS reach
             FROM (
               SELECT interaction_id, customer_id, category, opened_at, version AS rank,
                      if(resolved,
                         addDays(addMilliseconds(opened_at, toInt64(ifNull(resolution_hours, 1e6) * 3600000)),
                                 {fcr_days:UInt32} + 1),
                         toDateTime64(0, 3, 'UTC')) AS reach
               FROM ${db}.interaction_kpi
               WHERE (customer_id, category) IN (SELECT customer_id, category FROM ${touched})
                  OR customer_id IN (SELECT customer_id FROM ${cc})
               UNION ALL
               SELECT interaction_id, customer_id, category, opened_at, 18446744073709551615 AS rank,
                      toDateTime64('2299-12-31 00:00:00', 3, 'UTC') AS reach
               FROM ${changed}
             )
             GROUP BY interaction_id`);
  // from the contact just before the earliest changed one when its FCR may change, else from that one
  await run(`CREATE TABLE ${start} ENGINE = Memory AS
             SELECT t.customer_id AS customer_id, t.category AS category,
                    if(argMaxIf(s.reach, (s.opened_at, s.interaction_id), s.opened_at < t.m) >= t.m,
                       maxIf(s.opened_at, s.opened_at < t.m), assumeNotNull(t.m)) AS start
             FROM ${touched} AS t INNER JOIN ${seq} AS s ON s.customer_id = t.customer_id AND s.category = t.category
             GROUP BY t.customer_id, t.category, t.m`);
  await run(`CREATE TABLE ${ids} ENGINE = Memory AS
             SELECT DISTINCT interaction_id, customer_id FROM (
               SELECT interaction_id, customer_id FROM ${seq} WHERE customer_id IN (SELECT customer_id FROM ${cc})
               UNION ALL
               SELECT s.interaction_id, s.customer_id FROM ${seq} AS s
               INNER JOIN ${start} AS b ON s.customer_id = b.customer_id AND s.category = b.category
               WHERE s.opened_at >= b.start)`);
  // answers that arrived, and the answers of interactions with new events (they take its agent, team, …)
  // (two reads, each skipping by its own index: ingestion time, the interaction_id bloom filter)
  await run(`CREATE TABLE ${surveys} ENGINE = Memory AS
             SELECT DISTINCT event_id, customer_id FROM (
               SELECT event_id, customer_id FROM ${db}.survey_events WHERE ${recent}
               UNION ALL
               SELECT event_id, customer_id FROM ${db}.survey_events
               WHERE interaction_id IN (SELECT interaction_id FROM ${db}.interaction_events WHERE ${recent}))`);
  return incrementalPlan(ch, { cc, ids, surveys });
}

/** One statement of the plan, its time in the debug log. */
async function planStep(ch: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<void> {
  const t0 = performance.now();
  await ch.command({ query, query_params: params });
  logger('rollups').debug({ ms: Math.round(performance.now() - t0), query: query.slice(0, 60) }, 'plan step');
}

/** The plan over the scratch tables of changed customers, interactions and survey answers. */
async function incrementalPlan(
  ch: ClickHouseClient,
  t: { cc: string; ids: string; surveys: string },
): Promise<Plan> {
  const { cc, ids, surveys } = t;
  return {
    customers: await scalar(
      ch,
      `SELECT uniqExact(customer_id) FROM (SELECT customer_id FROM ${ids} UNION ALL SELECT customer_id FROM ${cc}
                                            UNION ALL SELECT customer_id FROM ${surveys})`,
    ),
    interactions: await scalar(ch, `SELECT count() FROM ${ids}`),
    subsets: (chunk) => ({
      interactions: {
        customers: `SELECT customer_id FROM ${ids} WHERE ${chunk}`,
        interactions: `SELECT interaction_id FROM ${ids} WHERE ${chunk}`,
      },
      surveys: {
        customers: `SELECT customer_id FROM ${cc} WHERE ${chunk}`,
        surveys: `SELECT event_id FROM ${surveys} WHERE ${chunk}`,
      },
      customers: { customers: `SELECT customer_id FROM ${cc} WHERE ${chunk}` },
    }),
  };
}
