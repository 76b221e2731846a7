import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { DATABASE } from '../synthetic.ts';
import { measure, rowsOf } from './measure.ts';
import { FROM, TO, type Spec, type Timing } from './spec.ts';

/**
 * (c) complaint_rate by day × channel over the 90 days straight from raw interaction_events (a plain
 * aggregate), and the facts path taken apart with the same aggregate: the facts table read as-is, the
 * interaction_facts_v merge, + the customer join, + the FCR window.
 */
export async function breakdown(ch: ClickHouseClient, spec: Spec): Promise<Timing[]> {
  const p = { tz: 'UTC', from: FROM, to: TO };
  const agg = `toString(toDate(at, {tz:String})) AS period, channel, countIf(category = 'complaint') AS x, count() AS n`;
  const tail = `WHERE toDate(at, {tz:String}) BETWEEN {from:Date} AND {to:Date} GROUP BY period, channel ORDER BY period, channel`;
  const breakdown: Timing[] = [];
  const variants: [string, string][] = [
    [
      '(c) raw interaction_events (opened events, no dedup)',
      `SELECT ${agg} FROM (SELECT occurred_at AS at, channel, category FROM ${DATABASE}.interaction_events
         WHERE type = 'interaction.opened') ${tail}`,
    ],
    [
      'interaction_facts read as-is (no merge; exact only when fully merged)',
      `SELECT ${agg} FROM (SELECT assumeNotNull(opened_at) AS at, channel, category FROM ${DATABASE}.interaction_facts
         WHERE opened_at IS NOT NULL) ${tail}`,
    ],
    [
      'interaction_facts_v (GROUP BY interaction_id merge)',
      `SELECT ${agg} FROM (SELECT assumeNotNull(opened_at) AS at, channel, category FROM ${DATABASE}.interaction_facts_v
         WHERE opened_at IS NOT NULL) ${tail}`,
    ],
    [
      'interaction_facts_v + LEFT JOIN customer_facts_v',
      `SELECT ${agg} FROM (SELECT assumeNotNull(i.opened_at) AS at, i.channel AS channel, i.category AS category, c.segment AS segment
         FROM ${DATABASE}.interaction_facts_v AS i LEFT JOIN ${DATABASE}.customer_facts_v AS c ON c.customer_id = i.customer_id
         WHERE i.opened_at IS NOT NULL) ${tail}`,
    ],
    [
      'interaction_facts_v + join + FCR window (no other facts)',
      `SELECT ${agg}, countIf(nx IS NOT NULL) AS w FROM (
         SELECT assumeNotNull(i.opened_at) AS at, i.channel AS channel, i.category AS category, c.segment AS segment,
           leadInFrame(toNullable(i.opened_at)) OVER (PARTITION BY i.customer_id, i.category ORDER BY i.opened_at, i.interaction_id
             ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS nx
         FROM ${DATABASE}.interaction_facts_v AS i LEFT JOIN ${DATABASE}.customer_facts_v AS c ON c.customer_id = i.customer_id
         WHERE i.opened_at IS NOT NULL) ${tail}`,
    ],
  ];
  for (const [name, sql] of spec.parts.includes('c') ? variants : [])
    breakdown.push(await measure(name, () => rowsOf(ch, sql, p), spec));
  return breakdown;
}
