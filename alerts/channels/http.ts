import http from 'node:http';
import https from 'node:https';
import ipaddr from 'ipaddr.js';
import { CxError, errorMessage } from '../../infra/errors.ts';
import { checkAddress, checkHost, guardedLookup } from '../../infra/outbound.ts';

/**
 * One JSON POST to a destination that has passed the outbound checks (infra/outbound.ts: allowed host,
 * no private address unless allowed, checked again on connect). Returns the status and the body; a
 * network failure or a timeout is `delivery_failed` (retriable), a refused destination
 * `delivery_refused`. What the status and body mean is each vendor's to decide.
 */

/** Which hosts alerts may reach and whether private addresses are allowed (the report webhooks' keys). */
export interface Outbound {
  allowedHosts: readonly string[];
  allowPrivate: boolean;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** How long a destination has to answer. */
const TIMEOUT_MS = 15_000;
/** The most of an answer kept (a robot answers a few hundred bytes). */
const MAX_ANSWER = 64 * 1024;

export const refused = (message: string, details?: unknown) =>
  new CxError('delivery_refused', message, { details });
export const failed = (message: string, cause?: unknown) =>
  new CxError('delivery_failed', message, { retriable: true, cause });

/** Check the URL against the allowlist and, when it is an address, against the private ranges. */
export function checkDestination(url: URL, outbound: Outbound): void {
  checkHost(url, outbound.allowedHosts);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) checkAddress(host, outbound.allowPrivate);
}

export async function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  outbound: Outbound,
): Promise<HttpAnswer> {
  checkDestination(url, outbound);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(outbound.allowPrivate),
        timeout: TIMEOUT_MS,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'cxpulse-alerts',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ANSWER) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, MAX_ANSWER).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  }).catch((err: unknown) => {
    if (err instanceof CxError) throw err;
    throw failed(`${url.host}: ${errorMessage(err)}`, err);
  });
}

/** A status that may change on its own (a timeout, too many requests, a server error). */
export const retriableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * The answer of a robot that says whether it took the message in a JSON code (`errcode` / `code`):
 * 0 is taken; a code in `retriable` (its rate limit, "busy") is `delivery_failed`; any other code, or an
 * HTTP status that will not change, is `delivery_refused`. Returns the answer as text for the history.
 */
export function judgeRobot(
  vendor: string,
  url: URL,
  answer: HttpAnswer,
  codeField: 'errcode' | 'code',
  retriable: ReadonlySet<number>,
): string {
  const text = `${answer.status} ${answer.body}`.trim();
  let code: number | undefined;
  let msg = '';
  try {
    const json = JSON.parse(answer.body) as Record<string, unknown>;
    if (typeof json[codeField] === 'number') code = json[codeField];
    msg = String(json['errmsg'] ?? json['msg'] ?? '');
  } catch {
    // not JSON: judged by the status alone
  }
  const where = `${vendor} ${url.host}`;
  if (code !== undefined && code !== 0) {
    if (retriable.has(code)) throw failed(`${where} answered ${codeField} ${code}: ${msg}`);
    throw refused(`${where} answered ${codeField} ${code}: ${msg}`, { [codeField]: code });
  }
  if (answer.status >= 200 && answer.status < 300) {
    if (code === undefined) throw refused(`${where} answered without ${codeField}: ${text.slice(0, 200)}`);
    return text;
  }
  if (retriableStatus(answer.status)) throw failed(`${where} answered ${answer.status}`);
  throw refused(`${where} answered ${answer.status}`);
}
