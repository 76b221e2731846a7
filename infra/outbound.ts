import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { CxError } from './errors.ts';

/**
 * Where cxpulse may send a request of its own (report webhooks, alert robots): a host on the allowlist,
 * an address that is public unless private ones are allowed, never a cloud metadata service — checked
 * on the URL and again on every address its name resolves to when the connection is made. Each refusal
 * is `delivery_refused` (not retriable: the configuration has to change). And the signature cxpulse
 * puts on its own webhooks (`X-Cxpulse-Signature`), with the check a receiver makes.
 */

const refused = (message: string) => new CxError('delivery_refused', message);

/** Address ranges a webhook may never reach, whatever the configuration. */
const NEVER = new Set(['unspecified', 'multicast', 'broadcast', 'reserved']);
/** Cloud instance metadata services: refused even when private addresses are allowed. */
const METADATA = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254'].map((a) => ipaddr.parse(a).toString());

/** Refuse an address that is not public (loopback, private, link-local, …) unless private ones are allowed. */
export function checkAddress(address: string, allowPrivate: boolean): void {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated "compatible" form) carry an IPv4 address
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else if (v6.parts.slice(0, 6).every((p) => p === 0) && v6.range() === 'unicast')
      ip = ipaddr.fromByteArray(v6.toByteArray().slice(12));
  }
  const range = ip.range();
  if (METADATA.includes(ip.toString()))
    throw refused(`webhook address ${address} is a cloud metadata service: never allowed`);
  if (range === 'unicast') return;
  if (NEVER.has(range) || !allowPrivate)
    throw refused(`webhook address ${address} is ${range}: not allowed (WEBHOOK_ALLOW_PRIVATE)`);
}

/** Refuse a URL whose host is not on the allowlist (exact name, or `*.example.com` for its subdomains). */
export function checkHost(url: URL, allowed: readonly string[]): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw refused(`webhook ${url.protocol} is not http or https`);
  if (url.username || url.password) throw refused('webhook URL must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const ok = allowed.some((a) => {
    const rule = a.toLowerCase();
    return rule.startsWith('*.')
      ? host.endsWith(rule.slice(1)) && host.length > rule.length - 1
      : host === rule;
  });
  if (!ok) throw refused(`webhook host ${host} is not in WEBHOOK_ALLOWED_HOSTS`);
}

/**
 * The DNS lookup a webhook request connects through: every address the name resolves to is checked
 * when the connection is made, so a name that resolves to a private address (or is re-bound to one
 * after a check) is refused.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      try {
        for (const a of addresses) checkAddress(a.address, allowPrivate);
      } catch (e) {
        return callback(e as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/** `X-Cxpulse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the body as sent). */
export function signWebhook(secret: string, body: string, at = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** For receivers: true when the header signs this body with this secret within `toleranceSeconds`. */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
  now = new Date(),
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  const sig = parts['v1'] ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const want = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const got = Buffer.from(sig, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
