import type { RequestHandler } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from '../infra/config.ts';
import { CxError } from '../infra/errors.ts';

/** The caller, set by `auth` on `res.locals`. */
export interface Caller {
  role: Role;
  /** A short fingerprint of the token, for audit logs (never the token). */
  id: string;
}

/**
 * Bearer-token auth with roles: `auth(tokens)(minimum)` lets a request through when its token's role is
 * `minimum` or above (viewer < analyst < editor < admin); 401 without a valid token, 403 below the role.
 */
export function auth(tokens: readonly { token: string; role: Role }[]): (minimum: Role) => RequestHandler {
  const known = tokens.map((t) => ({ buf: Buffer.from(t.token), role: t.role, id: t.token.slice(0, 4) }));
  return (minimum) => (req, res, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const given = m ? Buffer.from(m[1] as string) : undefined;
    const hit = given && known.find((k) => k.buf.length === given.length && timingSafeEqual(k.buf, given));
    if (!hit) {
      next(new CxError('unauthorized', 'a valid API token is required: Authorization: Bearer <token>'));
      return;
    }
    if (ROLES.indexOf(hit.role) < ROLES.indexOf(minimum)) {
      next(new CxError('forbidden', `this needs the ${minimum} role; the token has ${hit.role}`));
      return;
    }
    res.locals['caller'] = { role: hit.role, id: `${hit.id}…` } satisfies Caller;
    next();
  };
}
