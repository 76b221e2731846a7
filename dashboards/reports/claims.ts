import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import type { ReportDefinition } from './definitions.ts';
import { clickHouseTime } from '../../infra/time.ts';
import { isoOf } from './runs.ts';
import { runKeyOf } from './slots.ts';

/**
 * Slot claims in ClickHouse (report_claims): a slot's run key (`report@slot`) is claimed, the claimer
 * waits `REPORT_CLAIM_SETTLE_MS` for concurrent claims to become visible, and only the earliest claim
 * (server time, then owner) runs. A slot that already has a claim is never claimed again. Also when each
 * schedule was first seen (report_schedules), so no slot before it is caught up.
 */
export class SlotClaims {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly cfg: Config,
    private readonly owner: string,
  ) {}

  private get db(): string {
    return this.cfg.clickhouse.database;
  }

  /** Claim a slot; true when this owner won it. */
  async claim(def: ReportDefinition, slot: Date): Promise<boolean> {
    const runKey = runKeyOf(def.name, slot);
    if ((await this.claims(runKey)).length > 0) return false;
    await this.client.insert({
      table: `${this.db}.report_claims`,
      values: [{ run_key: runKey, report: def.name, slot: clickHouseTime(slot), owner: this.owner }],
      format: 'JSONEachRow',
      // visible to the other schedulers when the insert returns, whatever the server's profile says
      clickhouse_settings: { async_insert: 0 },
    });
    if (this.cfg.reports.claimSettleMs > 0) await sleep(this.cfg.reports.claimSettleMs);
    const [first] = await this.claims(runKey);
    return first?.owner === this.owner;
  }

  private async claims(runKey: string): Promise<{ owner: string }[]> {
    const rs = await this.client.query({
      query: `SELECT owner FROM ${this.db}.report_claims WHERE run_key = {k:String}
              ORDER BY claimed_at, owner`,
      query_params: { k: runKey },
      format: 'JSONEachRow',
    });
    return rs.json<{ owner: string }>();
  }

  /** When each report's schedule was first seen (registered now when it is new). */
  async register(def: ReportDefinition, now: Date): Promise<Date> {
    const key = `${def.schedule.cron} ${def.schedule.timezone}`;
    const read = async () => {
      const rs = await this.client.query({
        query: `SELECT toString(min(first_seen)) AS t, count() AS n FROM ${this.db}.report_schedules
                WHERE report = {r:String} AND schedule = {s:String}`,
        query_params: { r: def.name, s: key },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ t: string; n: string }>();
      return row && Number(row.n) > 0 ? new Date(isoOf(row.t)) : null;
    };
    const seen = await read();
    if (seen) return seen;
    await this.client.insert({
      table: `${this.db}.report_schedules`,
      values: [{ report: def.name, schedule: key, first_seen: clickHouseTime(now) }],
      format: 'JSONEachRow',
    });
    return (await read()) ?? now;
  }

  /** Whether anyone has claimed this slot. */
  async claimed(def: ReportDefinition, slot: Date): Promise<boolean> {
    return (await this.claims(runKeyOf(def.name, slot))).length > 0;
  }
}
