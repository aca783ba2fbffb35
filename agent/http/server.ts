import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { parseListen } from '../config/listen.js';
import type { Metrics } from '../exporter/metrics.js';
import type { Logger } from '../log.js';
import { APPLY_PATH, serveApply } from './apply-route.js';
import { Authenticator } from './auth.js';
import type { ConsoleSettings } from './console.js';
import { type HttpSource, route, send, UNAUTHENTICATED_PATHS } from './routes.js';
import { OPEN_WEB_CONFIG, type WebConfig } from './web-config.js';

// The agent's HTTP(S) server: GET only, credentials checked when the web config asks for them,
// one handler per path (routes.ts); the one mutating route, the console's apply, checks the
// apply token instead (apply-route.ts).

export interface HttpServerOptions {
  metrics: Metrics;
  source: HttpSource;
  log: Logger;
  /** TLS and authentication (--web.config.file); default: plain HTTP, open */
  web?: WebConfig;
  /** what the console learns from the config (Faro, apply); default: both off */
  console?: ConsoleSettings;
}

export function createHttpServer(options: HttpServerOptions): Server {
  const { metrics, source, log } = options;
  const web = options.web ?? OPEN_WEB_CONFIG;
  const auth = new Authenticator(web);
  const challenge = auth.schemes.map((scheme) => `${scheme} realm="dbdiag"`).join(', ');
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    // A request target Node's parser accepts may still be no URL (`GET http://[ HTTP/1.1`):
    // parsed here, a throw would end the agent; answered 400 instead.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(res, 400, 'text/plain', 'bad request target\n');
      return;
    }
    const handle = async (): Promise<void> => {
      const apply = APPLY_PATH.exec(url.pathname);
      if (apply && req.method === 'POST')
        return serveApply(source.apply, decodeURIComponent(apply[1]!), req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, 'text/plain', 'GET only (and POST /api/findings/<id>/apply)\n');
      if (!UNAUTHENTICATED_PATHS.has(url.pathname) && !(await auth.allows(req.headers.authorization))) {
        return send(res, 401, 'text/plain', 'unauthorized\n', { 'www-authenticate': challenge });
      }
      await route({ metrics, source, ...(options.console ? { console: options.console } : {}) }, url, res);
    };
    handle().catch((error: unknown) => {
      log.error({ err: error, path: url.pathname }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    });
  };
  return web.tls === null ? createServer(handler) : createTlsServer(web.tls, handler);
}

function listenError(address: string, error: NodeJS.ErrnoException): Error {
  const why =
    error.code === 'EADDRINUSE'
      ? 'the address is in use (another dbdiag agent or exporter?): choose another with --listen'
      : error.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges): choose a port above 1024'
        : error.code === 'EADDRNOTAVAIL'
          ? 'no interface of this machine has that address'
          : error.message;
  return new Error(`cannot listen on ${address}: ${why}`, { cause: error });
}

/** Binds `address` (see parseListen) and returns the base URL, https:// when serving TLS. */
export async function listen(server: Server, address: string): Promise<string> {
  const { host, port } = parseListen(address);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(address, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const scheme = server instanceof TlsServer ? 'https' : 'http';
  return `${scheme}://${shownHost}:${bound.port}`;
}
