import { createServer, type RequestListener, type Server } from 'node:http';
import { CxError, errorMessage } from '../infra/errors.ts';

/**
 * Why the HTTP server could not listen, as one line that says what to do. A port taken by another
 * program must stop the command: answering "listening" while requests reach that program is worse
 * than not starting.
 */
export function listenError(err: unknown, host: string, port: number): CxError {
  const sys = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `HTTP port ${port} on ${host}`;
  switch (sys) {
    case 'EADDRINUSE':
      return new CxError('port_in_use', `${where} is in use by another program: stop it or set HTTP_PORT`, {
        cause: err,
        details: { host, port },
      });
    case 'EACCES':
      return new CxError(
        'port_denied',
        `${where} may not be opened by this user (ports below 1024 need privileges): set HTTP_PORT to 1024 or above`,
        { cause: err, details: { host, port } },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CxError(
        'config_invalid',
        `HTTP_HOST ${host} is not an address of this machine: set HTTP_HOST (e.g. 127.0.0.1 or 0.0.0.0)`,
        { cause: err, details: { host, port } },
      );
    default:
      return new CxError('internal', `cannot listen on ${where}: ${errorMessage(err)}`, {
        cause: err,
        details: { host, port },
      });
  }
}

/**
 * How long an idle keep-alive connection stays open: longer than clients and proxies keep theirs
 * (Node's fetch 4 s, load balancers 60 s), so that a client never sends a request on a connection the
 * server is closing at that moment (a reset the client sees as a failed request). Node's 5 s default
 * leaves one second between the two, which a busy event loop can close.
 */
const KEEP_ALIVE_MS = 65_000;

/** Listen on `host:port`, resolving once listening and rejecting with {@link listenError} otherwise. */
export function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  const server = createServer(
    { keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: KEEP_ALIVE_MS + 1_000 },
    handler,
  );
  return new Promise<Server>((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
