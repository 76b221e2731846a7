import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { CATEGORIES, CHANNELS } from '../ingest/events.ts';

/**
 * A synthetic service centre generated inside ClickHouse (INSERT … SELECT FROM numbers()), for the
 * benchmarks at tens of millions of interactions: 365 days up to END, 7 channels, 8 categories,
 * N/20 customers, 6 teams, 60 agents, 0.3 survey answers per interaction. Deterministic (hashes of the
 * row number), so every run loads the same data.
 */

export const DATABASE = 'cxbench';
/** The data span 365 days up to END (exclusive). */
export const END = '2026-11-22';
export const SPAN_START = '2025-11-22 00:00:00';
/** The instant pending SLAs are judged at: the end of the span. */
export const AS_OF = new Date(`${END}T00:00:00Z`);
// =========================================================================================================

const arr = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/**
 * INSERT … SELECT of the events of interactions [start, start + len): opened + follow-up events, opened
 * at random in the `spanMs` milliseconds from `from` (default: the whole year).
 */
export function interactionInsert(
  start: number,
  len: number,
  customers: number,
  from = SPAN_START,
  spanMs = 31_536_000_000,
): string {
  const live = "channel IN ('phone', 'chat', 'store', 'advisor')";
  return `
INSERT INTO ${DATABASE}.interaction_events
  (event_id, type, occurred_at, interaction_id, customer_id, channel, category, priority, severity,
   team_id, agent_id, wait_seconds, _topic, _partition, _offset)
SELECT
  concat(iid, '-', toString(k)) AS event_id,
  ev.1 AS type,
  opened + toIntervalMillisecond(ev.2) AS occurred_at,
  iid AS interaction_id, cust AS customer_id, channel, category, priority, severity,
  concat('t', toString(agent % 6)) AS team_id, concat('a', toString(agent)) AS agent_id,
  if(ev.1 = 'interaction.abandoned', ev.2 / 1000, NULL) AS wait_seconds,
  'cx.interactions' AS _topic, toInt32(n % 6) AS _partition, toInt64(n) AS _offset
FROM (
  SELECT
    number AS n,
    concat('i', toString(number)) AS iid,
    concat('c', toString(cityHash64(number, 1) % ${customers})) AS cust,
    arrayElement(${arr(CHANNELS)}, 1 + cityHash64(number, 2) % ${CHANNELS.length}) AS channel,
    arrayElement(${arr(CATEGORIES)}, 1 + cityHash64(number, 3) % ${CATEGORIES.length}) AS category,
    cityHash64(number, 4) % 100 AS dp,
    multiIf(dp < 15, 'low', dp < 80, 'normal', dp < 95, 'high', 'urgent') AS priority,
    cityHash64(number, 5) % 100 AS ds,
    multiIf(ds < 75, 'general', ds < 95, 'major', 'crisis') AS severity,
    cityHash64(number, 6) % 60 AS agent,
    toDateTime64('${from}', 3, 'UTC') + toIntervalMillisecond(cityHash64(number, 7) % ${spanMs}) AS opened,
    cityHash64(number, 8) AS h,
    cityHash64(number, 9) % 100 AS d1,
    cityHash64(number, 10) % 100 AS d2,
    cityHash64(number, 11) % 100 AS d3,
    cityHash64(number, 12) % 100 AS d4,
    channel = 'phone' AND d1 < 10 AS abandoned,
    -- first response: live channels mostly within seconds, async ones within hours
    if(${live}, if(d1 < 85, h % 14000, 14000 + h % 600000),
                if(d1 < 85, h % 14400000, 14400000 + h % 172800000)) AS frt,
    frt + 60000 + bitShiftRight(h, 20) % 172800000 AS res,
    NOT abandoned AND d2 < 88 AS resolved,
    resolved AND d3 < 6 AS reopened,
    arrayFilter(e -> e.3, [
      ('interaction.opened', toUInt64(0), true),
      ('interaction.first_response', frt, NOT abandoned),
      ('interaction.abandoned', h % 300000, abandoned),
      ('interaction.transferred', frt + 30000, NOT abandoned AND d4 < 8),
      ('interaction.escalated', frt + 90000, NOT abandoned AND d4 >= 96),
      ('interaction.resolved', res, resolved),
      ('interaction.reopened', res + 86400000, reopened),
      ('interaction.resolved', res + 2 * 86400000, reopened AND d3 < 4),
      ('interaction.followed_up', res + bitShiftRight(h, 30) % 259200000, resolved AND category = 'complaint' AND d4 < 75)
    ]) AS evs
  FROM numbers(${start}, ${len})
)
ARRAY JOIN evs AS ev, arrayEnumerate(evs) AS k`;
}

/** Survey answers [start, start + len): csat 1–5, nps 0–10, ces 1–7, at random times of the span. */
export function surveyInsert(start: number, len: number, customers: number, interactions: number): string {
  return `
INSERT INTO ${DATABASE}.survey_events
  (event_id, type, occurred_at, customer_id, survey, score, interaction_id, channel, _topic, _partition, _offset)
SELECT
  concat('s', toString(number)) AS event_id,
  'survey.answered' AS type,
  toDateTime64('${SPAN_START}', 3, 'UTC') + toIntervalMillisecond(cityHash64(number, 21) % 31536000000) AS occurred_at,
  concat('c', toString(cityHash64(number, 22) % ${customers})) AS customer_id,
  multiIf(cityHash64(number, 23) % 10 < 5, 'csat', cityHash64(number, 23) % 10 < 8, 'nps', 'ces') AS survey,
  toUInt8(multiIf(survey = 'csat', 1 + least(4, (cityHash64(number, 24) % 100) / 12),
                  survey = 'nps', least(10, (cityHash64(number, 24) % 100) / 9),
                  1 + cityHash64(number, 24) % 7)) AS score,
  concat('i', toString(cityHash64(number, 25) % ${interactions})) AS interaction_id,
  arrayElement(${arr(CHANNELS)}, 1 + cityHash64(number, 26) % ${CHANNELS.length}) AS channel,
  'cx.surveys' AS _topic, toInt32(number % 3) AS _partition, toInt64(number) AS _offset
FROM numbers(${start}, ${len})`;
}

/** One upsert per customer (signed up before or during the span), and a churn for ~12 % of them. */
export function customerInsert(customers: number): string {
  return `
INSERT INTO ${DATABASE}.customer_events
  (event_id, type, occurred_at, customer_id, segment, region, signed_up_at, _topic, _partition, _offset)
SELECT
  concat('u', toString(number), '-', toString(k)) AS event_id,
  ev.1 AS type,
  ev.2 AS occurred_at,
  concat('c', toString(number)) AS customer_id,
  if(ev.1 = 'customer.upserted', arrayElement(['vip', 'regular', 'new'], 1 + cityHash64(number, 31) % 3), '') AS segment,
  if(ev.1 = 'customer.upserted',
     arrayElement(['east', 'south', 'north', 'southwest', 'northwest', 'northeast'], 1 + cityHash64(number, 32) % 6), '') AS region,
  if(ev.1 = 'customer.upserted', toNullable(signed), NULL) AS signed_up_at,
  'cx.customers' AS _topic, toInt32(number % 3) AS _partition, toInt64(number) AS _offset
FROM (
  SELECT number,
    -- 70 % signed up in the two years before the span, 30 % during it
    if(cityHash64(number, 33) % 100 < 70,
       toDateTime64('${SPAN_START}', 3, 'UTC') - toIntervalMillisecond(cityHash64(number, 34) % 63072000000),
       toDateTime64('${SPAN_START}', 3, 'UTC') + toIntervalMillisecond(cityHash64(number, 34) % 31536000000)) AS signed,
    greatest(signed, toDateTime64('${SPAN_START}', 3, 'UTC')) + toIntervalMillisecond(cityHash64(number, 35) % 31536000000) AS churned,
    arrayFilter(e -> e.3, [
      ('customer.upserted', signed, true),
      ('customer.churned', churned, cityHash64(number, 36) % 100 < 12 AND churned < toDateTime64('${END} 00:00:00', 3, 'UTC'))
    ]) AS evs
  FROM numbers(${customers})
)
ARRAY JOIN evs AS ev, arrayEnumerate(evs) AS k`;
}

/** Load N interactions (in chunks), their survey answers and the customers; seconds per part. */
export async function loadSynthetic(
  ch: ClickHouseClient,
  n: number,
  chunk: number,
  log: (m: string) => void = () => undefined,
): Promise<{ seconds: number; interactionSeconds: number; surveySeconds: number; customerSeconds: number }> {
  const customers = Math.max(1, Math.round(n / 20));
  const surveys = Math.round(n * 0.3);
  const t0 = performance.now();
  for (let s = 0; s < n; s += chunk) {
    await ch.command({ query: interactionInsert(s, Math.min(chunk, n - s), customers) });
    log(`  interactions ${Math.min(s + chunk, n)}/${n}`);
  }
  const t1 = performance.now();
  for (let s = 0; s < surveys; s += chunk)
    await ch.command({ query: surveyInsert(s, Math.min(chunk, surveys - s), customers, n) });
  const t2 = performance.now();
  await ch.command({ query: customerInsert(customers) });
  const t3 = performance.now();
  return {
    seconds: (t3 - t0) / 1000,
    interactionSeconds: (t1 - t0) / 1000,
    surveySeconds: (t2 - t1) / 1000,
    customerSeconds: (t3 - t2) / 1000,
  };
}
