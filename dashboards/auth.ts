import type { Request, RequestHandler } from 'express';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from '../infra/config.ts';
import { CxError } from '../infra/errors.ts';

/** The caller, set by `auth` on `res.locals`. */
export interface Caller {
  role: Role;
  /** A short fingerprint of the token, for audit logs (never the token). */
  id: string;
}

export const SESSION_COOKIE = 'cxpulse_session';
/** How long a sign-in lasts. */
export const SESSION_SECONDS = 12 * 3600;

export interface Auth {
  /** Middleware letting a request through when its caller has `minimum` or above. */
  require: (minimum: Role) => RequestHandler;
  /** The caller of a request (bearer token or session cookie), or null. */
  callerOf: (req: Request) => Caller | null;
  /** The caller a token signs in as, or null for an unknown token. */
  signIn: (token: string) => Caller | null;
  /** A session cookie value for a caller, valid for SESSION_SECONDS from `now`. */
  session: (caller: Caller, now?: number) => string;
}

/**
 * Tokens with roles (viewer < analyst < editor < admin), from `Authorization: Bearer <token>` (API
 * clients) or a session cookie set by the sign-in page (browsers). The cookie holds the role, a token
 * fingerprint and an expiry, signed with HMAC-SHA-256 under a key derived from the configured tokens:
 * any process with the same tokens accepts it, and changing the tokens signs everyone out.
 * 401 without a valid token or session, 403 below the route's role.
 */
export function createAuth(tokens: readonly { token: string; role: Role }[]): Auth {
  const known = tokens.map((t) => ({ buf: Buffer.from(t.token), role: t.role, id: fingerprint(t.token) }));
  const key = createHash('sha256')
    .update('cxpulse-session-v1')
    .update(JSON.stringify(tokens.map((t) => [t.token, t.role])))
    .digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

  const signIn = (token: string): Caller | null => {
    const given = Buffer.from(token);
    const hit = known.find((k) => k.buf.length === given.length && timingSafeEqual(k.buf, given));
    return hit ? { role: hit.role, id: hit.id } : null;
  };
  const session = (caller: Caller, now = Date.now()) => {
    const payload = Buffer.from(
      JSON.stringify({ r: caller.role, i: caller.id, e: Math.floor(now / 1000) + SESSION_SECONDS }),
    ).toString('base64url');
    return `${payload}.${sign(payload)}`;
  };
  const fromCookie = (req: Request): Caller | null => {
    const raw = cookie(req, SESSION_COOKIE);
    if (!raw) return null;
    const [payload, mac] = raw.split('.');
    if (!payload || !mac) return null;
    const want = Buffer.from(sign(payload));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    try {
      const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        r: Role;
        i: string;
        e: number;
      };
      if (!ROLES.includes(p.r) || typeof p.e !== 'number' || p.e * 1000 < Date.now()) return null;
      // a session outlives neither its token nor a change of the token's role
      if (!known.some((k) => k.id === p.i && k.role === p.r)) return null;
      return { role: p.r, id: p.i };
    } catch {
      return null;
    }
  };
  const callerOf = (req: Request): Caller | null => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (m) return signIn(m[1] as string);
    return fromCookie(req);
  };
  const require =
    (minimum: Role): RequestHandler =>
    (req, res, next) => {
      const caller = callerOf(req);
      if (!caller) {
        next(
          new CxError(
            'unauthorized',
            'a valid API token is required: Authorization: Bearer <token>, or sign in',
          ),
        );
        return;
      }
      if (!hasRole(caller.role, minimum)) {
        next(new CxError('forbidden', `this needs the ${minimum} role; the token has ${caller.role}`));
        return;
      }
      res.locals['caller'] = caller satisfies Caller;
      next();
    };
  return { require, callerOf, signIn, session };
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

function cookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}
