import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseListen } from '../config/listen.js';
import type { Metrics } from '../exporter/metrics.js';
import type { Logger } from '../log.js';
import { type HttpSource, route, send } from './routes.js';

// The agent's HTTP server: GET only, one handler per path (routes.ts).

export type { HttpSource, TargetStatus } from './routes.js';

export interface HttpServerOptions {
  metrics: Metrics;
  source: HttpSource;
  log: Logger;
}

export function createHttpServer(options: HttpServerOptions): Server {
  const { metrics, source, log } = options;
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handle = async (): Promise<void> => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
      await route({ metrics, source }, url, res);
    };
    handle().catch((error: unknown) => {
      log.error({ err: error, path: url.pathname }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    });
  });
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
  return `http://${shownHost}:${bound.port}`;
}
