import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import { CxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';

/**
 * Failed bearer tokens, counted per client address *and* token prefix (the first {@link PREFIX_CHARS}
 * characters, hashed: the limiter's memory never holds token text). Counting per address alone would
 * lock out everyone behind one proxy or NAT when one client there misbehaves; with the prefix in the
 * key, a client guessing tokens is stopped while the others' tokens (other prefixes) keep working.
 * Once a key has used up its failures, tokens with that prefix from that address are refused with
 * 429 and `Retry-After` until the window ends — a valid one too, or guessing would go on unhindered.
 *
 * The counts live in this process (express-rate-limit's memory store): behind a load balancer each
 * server counts on its own.
 */

export const FAILED_TOKEN_WINDOW_MS = 15 * 60_000;
const PREFIX_CHARS = 8;

export interface TokenLimiter {
  /** A token was refused: count it, then `next()` (→ 401) or, over the limit, 429. */
  failed: RequestHandler;
  /** A valid token: `next()` unless its address and prefix are blocked (→ 429). */
  passed: (req: Request, res: Response, next: NextFunction) => Promise<void>;
}

/** The bearer token of a request, or null. */
export function bearerToken(req: Request): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  return m ? (m[1] as string) : null;
}

function keyOf(req: Request): string {
  const prefix = (bearerToken(req) ?? '').slice(0, PREFIX_CHARS);
  const hashed = createHash('sha256').update(prefix).digest('hex').slice(0, 16);
  return `${ipKeyGenerator(req.ip ?? '')}|${hashed}`;
}

function refused(req: Request, retryAfterS: number): CxError {
  logger('auth').warn(
    { event_name: 'token_rate_limited', ip: req.ip, path: req.path },
    'too many failed tokens from this address and token prefix',
  );
  return new CxError(
    'rate_limited',
    `too many failed API tokens from this address; try again in ${retryAfterS} s`,
    { details: { retry_after_seconds: retryAfterS } },
  );
}

export function tokenLimiter(limit: number): TokenLimiter {
  const limiter: RateLimitRequestHandler = rateLimit({
    windowMs: FAILED_TOKEN_WINDOW_MS,
    limit,
    keyGenerator: keyOf,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res, next) => {
      next(refused(req, Number(res.getHeader('retry-after') ?? FAILED_TOKEN_WINDOW_MS / 1000)));
    },
  });
  const passed = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const info = await limiter.getKey(keyOf(req));
    const waitMs = info?.resetTime ? info.resetTime.getTime() - Date.now() : 0;
    if (info && info.totalHits >= limit && waitMs > 0) {
      const retryAfterS = Math.ceil(waitMs / 1000);
      res.set('Retry-After', String(retryAfterS));
      next(refused(req, retryAfterS));
      return;
    }
    next();
  };
  return { failed: limiter, passed };
}
