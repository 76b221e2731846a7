import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from '../infra/config.ts';
import { CxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import { changesState, foreignOrigin } from './origin.ts';
import { memoryRevocations, type Revocations } from './sessions.ts';
import { bearerToken, tokenLimiter } from './token-limit.ts';

/** The caller, set by `auth` on `res.locals`. */
export interface Caller {
  role: Role;
  /** A short fingerprint of the token, for audit logs (never the token). */
  id: string;
}

/** A valid, unrevoked session cookie: its caller, its id and when it expires (Unix seconds). */
export interface Session {
  caller: Caller;
  sid: string;
  expires: number;
}

export const SESSION_COOKIE = 'cxpulse_session';
/** How long a sign-in lasts. */
export const SESSION_SECONDS = 12 * 3600;
/** Longer cookie values are not ours: refused before any decoding. */
const MAX_COOKIE_CHARS = 1024;

export interface AuthOptions {
  /** Signed-out sessions; default: this process only. */
  revocations?: Revocations;
  /** Origins besides the request's own allowed to send cookie-authenticated writes. */
  allowedOrigins?: readonly string[];
  /** Failed bearer tokens per 15 minutes per address and token prefix (default 20). */
  failedTokenLimit?: number;
}

export interface Auth {
  /** Middleware letting a request through when its caller has `minimum` or above. */
  require: (minimum: Role) => RequestHandler;
  /** The caller of a request (bearer token or session cookie), or null. */
  callerOf: (req: Request) => Caller | null;
  /** The caller a token signs in as, or null for an unknown token. */
  signIn: (token: string) => Caller | null;
  /** A new session cookie value for a caller, valid for SESSION_SECONDS from `now`. */
  session: (caller: Caller, now?: number) => string;
  /** The request's valid, unrevoked session cookie, or null. */
  sessionOf: (req: Request) => Session | null;
  /** Why a cookie-authenticated write from this request is refused, or null. */
  originProblem: (req: Request) => string | null;
  /** Sign a session out: its cookie is refused from now on, here and (via the store) elsewhere. */
  revoke: (session: Session) => Promise<void>;
}

/**
 * Tokens with roles (viewer < analyst < editor < admin), from `Authorization: Bearer <token>` (API
 * clients) or a session cookie set by the sign-in page (browsers). The cookie holds the role, a token
 * fingerprint, a random session id and an expiry, signed with HMAC-SHA-256 under a key derived from
 * the configured tokens: any process with the same tokens accepts it, and changing the tokens signs
 * everyone out. Signing out revokes the session id (see sessions.ts). A cookie-authenticated write
 * must come from this site (origin.ts). Failed bearer tokens are rate-limited (token-limit.ts).
 * 401 without a valid token or session, 403 below the route's role or from a foreign origin.
 */
export function createAuth(tokens: readonly { token: string; role: Role }[], opts: AuthOptions = {}): Auth {
  const known = tokens.map((t) => ({ buf: Buffer.from(t.token), role: t.role, id: fingerprint(t.token) }));
  const revocations = opts.revocations ?? memoryRevocations();
  const allowed = new Set(opts.allowedOrigins ?? []);
  const log = logger('auth');

  const signIn = (token: string): Caller | null => {
    const given = Buffer.from(token);
    const hit = known.find((k) => k.buf.length === given.length && timingSafeEqual(k.buf, given));
    return hit ? { role: hit.role, id: hit.id } : null;
  };
  const { session, sessionOf } = sessionCookies(tokens, known, revocations);
  const callerOf = (req: Request): Caller | null => {
    const token = bearerToken(req);
    if (token !== null) return signIn(token);
    return sessionOf(req)?.caller ?? null;
  };
  const originProblem = (req: Request) => foreignOrigin(req, allowed);
  const authenticate = authenticator({
    signIn,
    sessionOf,
    originProblem,
    limiter: tokenLimiter(opts.failedTokenLimit ?? 20),
    log,
  });
  const require =
    (minimum: Role): RequestHandler =>
    async (req, res, next) => {
      const caller = await authenticate(req, res, next);
      if (!caller) return;
      if (!hasRole(caller.role, minimum)) {
        next(new CxError('forbidden', `this needs the ${minimum} role; the token has ${caller.role}`));
        return;
      }
      res.locals['caller'] = caller satisfies Caller;
      next();
    };
  const revoke = async (s: Session) => {
    await revocations.revoke(s.sid, s.expires);
    log.info({ event_name: 'signout', caller: s.caller.id }, 'session revoked');
  };
  return { require, callerOf, signIn, session, sessionOf, originProblem, revoke };
}

/** A configured token as the checks hold it: its bytes, its role, its fingerprint. */
type KnownToken = { buf: Buffer; role: Role; id: string };

/**
 * Session cookies: made for a caller and read back, signed with HMAC-SHA-256 under a key derived from
 * the configured tokens; a cookie is refused once expired, revoked, or when its token or role is gone.
 */
function sessionCookies(
  tokens: readonly { token: string; role: Role }[],
  known: readonly KnownToken[],
  revocations: Revocations,
): Pick<Auth, 'session' | 'sessionOf'> {
  const key = createHash('sha256')
    .update('cxpulse-session-v2')
    .update(JSON.stringify(tokens.map((t) => [t.token, t.role])))
    .digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  const session = (caller: Caller, now = Date.now()) => {
    const payload = Buffer.from(
      JSON.stringify({
        r: caller.role,
        i: caller.id,
        s: randomBytes(16).toString('base64url'),
        e: Math.floor(now / 1000) + SESSION_SECONDS,
      }),
    ).toString('base64url');
    return `${payload}.${sign(payload)}`;
  };
  const sessionOf = (req: Request): Session | null => {
    const raw = cookie(req, SESSION_COOKIE);
    const parts = raw?.split('.');
    if (!parts || parts.length !== 2 || !parts[0] || !parts[1]) return null;
    const [payload, mac] = parts as [string, string];
    const want = Buffer.from(sign(payload));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    const p = parsePayload(payload);
    if (!p || p.e * 1000 < Date.now() || revocations.isRevoked(p.s)) return null;
    // a session outlives neither its token nor a change of the token's role
    if (!known.some((k) => k.id === p.i && k.role === p.r)) return null;
    return { caller: { role: p.r, id: p.i }, sid: p.s, expires: p.e };
  };
  return { session, sessionOf };
}

/** Who is calling, by token (rate-limited when wrong) or cookie (origin-checked when writing). */
function authenticator(deps: {
  signIn: Auth['signIn'];
  sessionOf: Auth['sessionOf'];
  originProblem: Auth['originProblem'];
  limiter: ReturnType<typeof tokenLimiter>;
  log: ReturnType<typeof logger>;
}): (req: Request, res: Response, next: NextFunction) => Promise<Caller | null> {
  const { signIn, sessionOf, originProblem, limiter, log } = deps;
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (token !== null) {
      const caller = signIn(token);
      let pass = false;
      await (caller ? limiter.passed : limiter.failed)(req, res, (err?: unknown) => {
        if (err) next(err);
        else pass = true;
      });
      if (!pass) return null;
      if (!caller) next(unauthorized());
      return caller;
    }
    const s = sessionOf(req);
    if (!s) {
      next(unauthorized());
      return null;
    }
    const problem = changesState(req) ? originProblem(req) : null;
    if (problem) {
      log.warn(
        { event_name: 'origin_refused', origin: req.get('origin'), path: req.path, caller: s.caller.id },
        'cross-site write with a session cookie refused',
      );
      next(new CxError('forbidden', problem));
      return null;
    }
    return s.caller;
  };
}

const unauthorized = () =>
  new CxError('unauthorized', 'a valid API token is required: Authorization: Bearer <token>, or sign in');

/** The signed payload, or null when it is not the JSON object a session holds. */
function parsePayload(payload: string): { r: Role; i: string; s: string; e: number } | null {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null) return null;
  const { r, i, s, e } = p as Record<string, unknown>;
  if (!ROLES.includes(r as Role) || typeof i !== 'string' || typeof s !== 'string' || s.length < 16)
    return null;
  if (typeof e !== 'number' || !Number.isFinite(e)) return null;
  return { r: r as Role, i, s, e };
}

/** The bearer-token middleware factory of `createAuth` (the API's historical entry point). */
export function auth(tokens: readonly { token: string; role: Role }[]): (minimum: Role) => RequestHandler {
  return createAuth(tokens).require;
}

export const hasRole = (role: Role, minimum: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(minimum);

/** A short, non-reversible fingerprint of a token for logs and sessions. */
function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 8);
}

/** A cookie's value, or null when absent, oversized or not valid percent-encoding. */
export function cookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0 || part.slice(0, i).trim() !== name) continue;
    const raw = part.slice(i + 1).trim();
    if (raw.length > MAX_COOKIE_CHARS) return null;
    try {
      return decodeURIComponent(raw);
    } catch {
      return null; // URIError: a malformed %-escape is no session, not a server error
    }
  }
  return null;
}
