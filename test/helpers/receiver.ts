import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver took: its path, query, body and headers. */
export interface Hit {
  path: string;
  query: URLSearchParams;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** What a receiver answers a request with. */
export interface Reply {
  status: number;
  headers?: http.OutgoingHttpHeaders;
  body: string;
}

/** A JSON answer with status 200. */
export const jsonReply = (body: string): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body,
});

/**
 * A loopback HTTP receiver standing in for a webhook or a vendor's robot: every request is kept in
 * `hits` (in arrival order) before it is answered with `reply(hit)` (`200 {}` unless given).
 */
export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  base: string;
  hits: Hit[];
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export async function receiver(reply: (hit: Hit) => Reply = () => jsonReply('{}')): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const hit: Hit = { path: u.pathname, query: u.searchParams, body, headers: req.headers };
      hits.push(hit);
      const r = reply(hit);
      res.writeHead(r.status, r.headers ?? {}).end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A rules document's webhook destination `name`, signed with `secret`, at `<base>/<name>/webhook`. */
export const webhookAt = (base: string, name: string, secret: string) => ({
  [name]: { webhook: { url: `${base}/${name}/webhook`, secret } },
});

/** The bodies of the requests a receiver took at `/<name>/webhook`, parsed. */
export const webhookBodies = <T>(r: Receiver, name: string): T[] =>
  r.hits.filter((h) => h.path === `/${name}/webhook`).map((h) => JSON.parse(h.body) as T);
