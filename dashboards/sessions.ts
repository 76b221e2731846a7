import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { CxError, errorMessage } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';

/**
 * The revoked (signed-out) sessions. Checking a cookie must not cost a query, so every server keeps
 * the not-yet-expired revocations in memory and re-reads them from ClickHouse (`revoked_sessions`)
 * every `refreshMs`: a sign-out is refused at once by the process that recorded it and by the others
 * within one refresh. A failed refresh keeps the set in hand (revocations only ever grow until they
 * expire) and is logged.
 */
export interface Revocations {
  isRevoked(sessionId: string): boolean;
  /** Record a sign-out; `expiresAt` (Unix seconds) is when the cookie would have expired anyway. */
  revoke(sessionId: string, expiresAt: number): Promise<void>;
}

/** Revocations of this process only (tests and tools without a store). */
export function memoryRevocations(): Revocations {
  const ids = new Map<string, number>();
  return {
    isRevoked: (id) => (ids.get(id) ?? 0) * 1000 > Date.now(),
    revoke: (id, expiresAt) => {
      ids.set(id, expiresAt);
      return Promise.resolve();
    },
  };
}

export class StoredRevocations implements Revocations {
  /** session id → expiry (Unix seconds) */
  private ids = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly log = logger('sessions');

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly refreshMs: number,
  ) {}

  isRevoked(sessionId: string): boolean {
    const exp = this.ids.get(sessionId);
    return exp !== undefined && exp * 1000 > Date.now();
  }

  async revoke(sessionId: string, expiresAt: number): Promise<void> {
    this.ids.set(sessionId, expiresAt);
    try {
      await this.client.insert({
        table: `${this.database}.revoked_sessions`,
        values: [{ session_id: sessionId, expires_at: expiresAt }],
        format: 'JSONEachRow',
      });
    } catch (err) {
      throw new CxError(
        'clickhouse_unavailable',
        `signed out here, but the sign-out could not be stored for the other servers: ${errorMessage(err)}`,
        { retriable: true, cause: err },
      );
    }
  }

  /** Read the unexpired revocations, merged with the ones in hand (an insert may not be visible yet). */
  async load(): Promise<void> {
    const rs = await this.client.query({
      query: `SELECT session_id, toUnixTimestamp(max(expires_at)) AS exp
              FROM ${this.database}.revoked_sessions
              WHERE expires_at > now()
              GROUP BY session_id`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ session_id: string; exp: number | string }>();
    const now = Date.now() / 1000;
    const next = new Map<string, number>();
    for (const [id, exp] of this.ids) if (exp > now) next.set(id, exp);
    for (const r of rows) next.set(r.session_id, Math.max(Number(r.exp), next.get(r.session_id) ?? 0));
    this.ids = next;
  }

  /** Refresh every `refreshMs` until `stop`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.load().catch((err: unknown) =>
        this.log.warn(
          { event_name: 'session_revocations_refresh_failed', err: errorMessage(err) },
          'could not re-read the revoked sessions; keeping the ones in hand',
        ),
      );
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How many unexpired revocations are in hand (for tests and logs). */
  get size(): number {
    return this.ids.size;
  }
}
