import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { CxEvent } from '../../ingest/events.ts';
import { toRow } from '../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../ingest/sink.ts';

/**
 * Events written straight into the store, the way the ingester writes them (toRow, then the
 * ClickHouseSink), without the broker: for tests about what is computed over stored rows.
 */

/** Writes events; each gets a fresh `event_id` and `schema_version` 1 unless it names its own. */
export type Plant = (events: Record<string, unknown>[]) => Promise<void>;

/** A planter into a database; its offsets count up from 0 across its calls. */
export function planter(ch: ClickHouseClient, database: string): Plant {
  let offset = 0;
  return async (events) => {
    const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
    for (const e of events) {
      const event = { event_id: randomUUID(), schema_version: 1, ...e } as unknown as CxEvent;
      const { table, row } = toRow(event, { topic: 't', partition: 0, offset: String(offset++) });
      rows[table]!.push(rowLine(row));
    }
    await new ClickHouseSink(ch, database).write({ rows, dlq: [] });
  };
}

const iso = (at: Date | number | string) => new Date(at).toISOString();

/** A normal-priority phone inquiry of a team opened at `at`, its customer `c-<id>`. */
export const openedCall = (id: string, team: string, at: Date | number | string) => ({
  type: 'interaction.opened',
  occurred_at: iso(at),
  interaction_id: id,
  customer_id: `c-${id}`,
  channel: 'phone',
  category: 'inquiry',
  priority: 'normal',
  team_id: team,
});

/** The first response to an interaction at `at` (it is answered). */
export const answeredAt = (id: string, at: Date | number | string) => ({
  type: 'interaction.first_response',
  occurred_at: iso(at),
  interaction_id: id,
});

/** A phone call of a team opened at `at`: abandoned 10 s later, answered 5 s later, or left waiting. */
export function phoneCall(id: string, team: string, at: number, end: 'abandoned' | 'answered' | 'waiting') {
  const opened = openedCall(id, team, at);
  if (end === 'waiting') return [opened];
  if (end === 'answered') return [opened, answeredAt(id, at + 5_000)];
  return [opened, { type: 'interaction.abandoned', occurred_at: iso(at + 10_000), interaction_id: id }];
}
