/**
 * Keys of the HTTP server: where it listens, which proxies it believes, the tokens and roles it accepts,
 * the origins of cookie-authenticated writes, and the limits on failed tokens and sessions.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { csv, int, type KeyTable, type Values } from './keys.ts';

/** API roles; each includes the rights of the ones before it. */
export const ROLES = ['viewer', 'analyst', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Express `trust proxy`: believe none/all proxies, a hop count, or these addresses and ranges. */
export type TrustProxy = boolean | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyAddress(v: string): boolean {
  if (PROXY_NAMES.has(v)) return true;
  if (v.includes('/')) {
    try {
      ipaddr.parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(v);
}

export const httpKeys = {
  HTTP_HOST: { default: '127.0.0.1', doc: 'Address the HTTP server listens on.', schema: z.string().min(1) },
  HTTP_PORT: { default: '8080', doc: 'Port of the HTTP server (0 = any free port).', schema: int(0, 65535) },
  HTTP_TRUST_PROXY: {
    default: 'false',
    doc: 'Proxies in front of the HTTP server whose `X-Forwarded-For`/`-Proto`/`-Host` are believed (Express `trust proxy`): `false`, `true` (any), a hop count such as `1`, or comma-separated addresses, CIDR ranges or `loopback`, `linklocal`, `uniquelocal`. Behind a TLS-terminating proxy this makes the session cookie `Secure`. Leave `false` when clients connect directly: they could forge those headers.',
    schema: z.string().transform((v, ctx): TrustProxy => {
      if (v === 'false' || v === 'true') return v === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      const entries = v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);
      const bad = entries.find((x) => !isProxyAddress(x));
      if (bad !== undefined || entries.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be false, true, a hop count, or addresses / CIDR ranges / loopback, linklocal, uniquelocal${bad === undefined ? '' : ` (not one: ${bad})`}`,
        });
        return z.NEVER;
      }
      return entries;
    }),
  },
  HTTP_ALLOWED_ORIGINS: {
    default: '',
    doc: 'Comma-separated origins (`https://cx.example.com`) besides the request’s own and `CXPULSE_PUBLIC_URL`’s from which a signed-in browser may send state-changing requests; any other `Origin` is refused with 403.',
    schema: csv.pipe(
      z.array(
        z.string().refine((o) => {
          try {
            const u = new URL(o);
            const bare = u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password;
            return bare && /^https?:$/.test(u.protocol) && !/[/?#]./.test(o.replace(/^[a-z]+:\/\//i, ''));
          } catch {
            return false;
          }
        }, 'each entry must be an origin such as https://cx.example.com (scheme, host, optional port; no path)'),
      ),
    ),
  },
  AUTH_FAILED_TOKEN_LIMIT: {
    default: '20',
    doc: 'Failed bearer tokens accepted per 15 minutes from one client address and token prefix; after that, tokens with that prefix from that address get 429 (other tokens from the same address are not affected).',
    schema: int(1, 1_000_000),
  },
  SESSION_REVOCATION_REFRESH_SECONDS: {
    default: '10',
    doc: 'How often each server re-reads the signed-out (revoked) sessions from ClickHouse; a sign-out in another process takes effect here within this time (at once in the process that signed out).',
    schema: int(1, 3600),
  },
  CXPULSE_INGEST_TOKENS: {
    default: '',
    doc: 'Comma-separated bearer tokens accepted by `POST /api/v1/events`. `cxpulse start` makes one in the data dir when unset.',
    schema: csv,
  },
  CXPULSE_API_TOKENS: {
    default: '',
    doc: 'Comma-separated `token=role` pairs for the API (roles: `viewer`, `analyst`, `editor`, `admin`; each includes the ones before it). `cxpulse start` makes an admin token in the data dir when unset.',
    schema: csv.pipe(
      z.array(
        z
          .string()
          .regex(
            /^[^=\s]{16,}=(viewer|analyst|editor|admin)$/,
            'each entry must be token=role, the token at least 16 characters, the role viewer, analyst, editor or admin',
          )
          .transform((e) => {
            const i = e.lastIndexOf('=');
            return { token: e.slice(0, i), role: e.slice(i + 1) as Role };
          }),
      ),
    ),
  },
} satisfies KeyTable;

/** `publicUrl`: CXPULSE_PUBLIC_URL, whose origin is always allowed. */
export function http(v: Values<typeof httpKeys>, publicUrl: string) {
  return {
    host: v.HTTP_HOST,
    port: v.HTTP_PORT,
    ingestTokens: v.CXPULSE_INGEST_TOKENS,
    apiTokens: v.CXPULSE_API_TOKENS,
    trustProxy: v.HTTP_TRUST_PROXY,
    /** Origins (besides the request's own and the public URL's) allowed for cookie-authenticated writes. */
    allowedOrigins: [
      ...new Set([new URL(publicUrl).origin, ...v.HTTP_ALLOWED_ORIGINS.map((o) => new URL(o).origin)]),
    ],
    /** Failed bearer tokens per 15 minutes per client address and token prefix. */
    failedTokenLimit: v.AUTH_FAILED_TOKEN_LIMIT,
    sessionRevocationRefreshMs: v.SESSION_REVOCATION_REFRESH_SECONDS * 1000,
  };
}
