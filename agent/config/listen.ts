// The agent's listen address. A bare port binds this machine only: serving /metrics and /api to
// the network is asked for by address (0.0.0.0:9187, [::]:9187, 10.0.0.5:9187).

export const DEFAULT_LISTEN_HOST = '127.0.0.1';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:9187", "0.0.0.0:9187", "[::]:9187", or a bare "9187" / ":9187" (127.0.0.1). */
export function parseListen(listen: string): ListenAddress {
  const match = /^(?:(\[[^\]]+\]|[^:[\]]*):)?(\d+)$/.exec(listen.trim());
  if (!match) throw new Error(`"${listen}" is not a port or host:port (e.g. 9187 or 0.0.0.0:9187)`);
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`"${listen}": port ${port} is above 65535`);
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '') || DEFAULT_LISTEN_HOST;
  return { host, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
