import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import { memoryLimitError } from '../infra/clickhouse-errors.ts';
import { CxError, type ErrorCode } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';

/** HTTP status of each error code: the one place that decides it. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_json: 400,
  invalid_event: 400,
  bad_parameter: 400,
  sql_refused: 403,
  sql_invalid: 400,
  sql_limit: 422,
  sql_failed: 400,
  sql_busy: 503,
  report_invalid: 400,
  alert_invalid: 400,
  delivery_refused: 400,
  delivery_failed: 502,
  config_invalid: 500,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  clickhouse_unavailable: 503,
  query_memory_limit: 503,
  kafka_unavailable: 503,
};

/** `Retry-After` of a 503: long enough for a broker to elect a leader or the store to come back. */
const RETRY_AFTER_SECONDS = 5;

export interface HealthReport {
  /** false → `/healthz` answers 503 */
  ok: boolean;
  [component: string]: unknown;
}

export interface AppDeps {
  /** Routers mounted before the API's own, e.g. the event collector from ingest/. */
  routers?: Router[];
  health: () => HealthReport | Promise<HealthReport>;
  registry: Registry;
  /**
   * Express `trust proxy` (HTTP_TRUST_PROXY): which proxies' X-Forwarded-* headers are believed, so
   * `req.secure`, `req.ip` and `req.host` describe the client's request rather than the proxy's.
   * @default false
   */
  trustProxy?: boolean | number | string[];
}

/** The Express application: health, Prometheus metrics, the mounted routers, one error handler. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);
  // Security headers. The CSP allows scripts from this origin only (no inline script, no eval: charts
  // use Vega's CSP-safe expression interpreter); styles may be inline for Vega's SVG attributes.
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      // `same-origin`, not `no-referrer`: other sites still get no Referer, but the browser keeps sending
      // this site's own Origin on its form POSTs (under `no-referrer` Chromium sent `Origin: null` for the
      // sign-out form, while its fetch() POSTs kept the real Origin), which the
      // cross-site guard of cookie-authenticated writes needs (origin.ts).
      referrerPolicy: { policy: 'same-origin' },
      // served over plain HTTP on a laptop too: leave HSTS to the TLS-terminating proxy
      strictTransportSecurity: false,
    }),
  );

  app.get('/healthz', async (_req, res) => {
    const report = await deps.health();
    res.status(report.ok ? 200 : 503).json(report);
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });
  for (const r of deps.routers ?? []) app.use(r);

  app.use((req, _res, next) => next(new CxError('not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}

const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const e = toCxError(err);
  const status = STATUS[e.code] ?? 500;
  if (status >= 500) {
    logger('http').error(
      { event_name: 'http_error', code: e.code, path: req.path, err: e.message },
      'request failed',
    );
  }
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: e.code, message: status >= 500 && e.code === 'internal' ? 'internal error' : e.message },
  };
  if (e.details !== undefined) body.error.details = e.details;
  // a dependency that is down for now: say when trying again makes sense (unless the route knew better)
  if (status === 503 && e.code !== 'query_memory_limit' && !res.get('Retry-After'))
    res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  res.status(status).json(body);
};

/** Errors from Express's own body parsers carry a `type`; give them our codes. */
function toCxError(err: unknown): CxError {
  if (err instanceof CxError) return err;
  const memory = memoryLimitError(err);
  if (memory) return memory;
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.too.large') {
    const limit = (err as { limit?: number }).limit;
    return new CxError(
      'payload_too_large',
      `the request body is larger than ${limit ?? 'the limit'} bytes (1 MiB)`,
    );
  }
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new CxError('invalid_json', String((err as Error).message));
  }
  return new CxError('internal', (err as Error)?.message ?? String(err), { cause: err });
}
