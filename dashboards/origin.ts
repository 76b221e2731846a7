import type { Request } from 'express';

/**
 * Cross-site request forgery guard for browser sessions. A cookie rides along on any request the
 * browser makes, whoever's page made it; the `Origin` header (or, without it, the origin of `Referer`)
 * says whose page it was. A state-changing request authenticated by the session cookie must come from
 * this site itself (the origin the request was sent to, as the proxy saw it when `trust proxy` is on)
 * or from one of the allowed origins. Browsers send `Origin` on every POST, PUT, PATCH and DELETE,
 * same-origin ones included, unless the referrer policy is `no-referrer` (then a form POST sends
 * `Origin: null`) — which is why the app's policy is `same-origin`.
 */

/** Methods that may change something; the others are never refused here. */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const changesState = (req: Request): boolean => UNSAFE.has(req.method);

/** `scheme://host[:port]` of a URL, normalised (lower case, default port dropped), or null. */
function originOf(url: string): string | null {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** The origin the request was addressed to: `req.protocol` and `req.host` honour `trust proxy`. */
export function ownOrigin(req: Request): string | null {
  const host = req.host;
  return host ? originOf(`${req.protocol}://${host}`) : null;
}

/**
 * Why a cookie-authenticated request may not change anything, or null when its origin is this site's
 * or an allowed one. No `Origin` and no `Referer` is refused: every browser that can send the
 * cookie sends one of them on such a request.
 */
export function foreignOrigin(req: Request, allowed: ReadonlySet<string>): string | null {
  const own = ownOrigin(req);
  const header = req.get('origin');
  let claimed: string | null;
  let what: string;
  if (header !== undefined) {
    claimed = header === 'null' ? null : originOf(header);
    what = `Origin ${header.slice(0, 200)}`;
  } else {
    const referer = req.get('referer');
    if (referer === undefined) {
      return 'a signed-in browser request that changes something must carry an Origin or Referer header; API clients use Authorization: Bearer <token>';
    }
    claimed = originOf(referer);
    what = `Referer origin ${claimed ?? referer.slice(0, 200)}`;
  }
  if (claimed !== null && (claimed === own || allowed.has(claimed))) return null;
  return `cross-site request refused: ${what} is not this site (${own ?? 'unknown host'}) nor an allowed origin (HTTP_ALLOWED_ORIGINS)`;
}
