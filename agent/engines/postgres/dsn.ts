import { redactDsn } from '../../config/dsn-secrets.js';
import { ConnectionError } from '../../errors.js';
import { ERROR_CODES } from '../error-codes.js';

// Only URL DSNs (postgres://user:pass@host:port/db?sslmode=...) are accepted: they are what
// the config and --url take. A libpq key=value string is refused with a one-line reason.

export interface ParsedDsn {
  host: string;
  port: number;
  database: string;
  user: string;
}

export function parsePostgresDsn(target: string, dsn: string): ParsedDsn {
  const bad = (why: string): ConnectionError =>
    new ConnectionError(
      ERROR_CODES.badDsn,
      target,
      `target "${target}": bad DSN ${JSON.stringify(redactDsn(dsn))}: ${why} (expected postgres://user:password@host:5432/database)`,
    );
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw bad(`scheme "${url.protocol.replace(/:$/, '')}" is not postgres`);
  }
  const port = url.port === '' ? 5432 : Number(url.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw bad(`port "${url.port}" is not valid`);
  let database: string;
  let user: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    user = decodeURIComponent(url.username);
  } catch {
    throw bad('bad percent-encoding');
  }
  if (database.includes('/')) throw bad('the path must be just the database name');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || (url.searchParams.get('host') ?? 'localhost');
  return { host, port, database: database || user || 'postgres', user: user || 'postgres' };
}
