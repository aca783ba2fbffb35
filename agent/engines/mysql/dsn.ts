import type { ConnectionOptions } from 'mysql2';
import { ERROR_CODES } from '../error-codes.js';

// mysql:// and mariadb:// DSNs: mysql://user:password@host:port/database?socket=/path&ssl=true

export interface MysqlDsn {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string | null;
  socketPath: string | null;
  ssl: boolean;
}

export class DsnError extends Error {
  readonly code = ERROR_CODES.badDsn;
}

export const MYSQL_SCHEMES = ['mysql:', 'mariadb:'] as const;

export function parseMysqlDsn(dsn: string): MysqlDsn {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch (error) {
    throw new DsnError('not a URL: expected mysql://user:password@host:3306/database', { cause: error });
  }
  if (!(MYSQL_SCHEMES as readonly string[]).includes(url.protocol))
    throw new DsnError(`scheme ${url.protocol} is not mysql:// or mariadb://`);
  const port = url.port === '' ? 3306 : Number(url.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new DsnError(`bad port "${url.port}"`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const ssl = url.searchParams.get('ssl');
  return {
    host: url.hostname === '' ? 'localhost' : url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: database === '' ? null : database,
    socketPath: url.searchParams.get('socket'),
    ssl: ssl === 'true' || ssl === '1' || ssl === 'required',
  };
}

export function connectionOptions(dsn: MysqlDsn, connectTimeoutMs: number): ConnectionOptions {
  return {
    ...(dsn.socketPath ? { socketPath: dsn.socketPath } : { host: dsn.host, port: dsn.port }),
    user: dsn.user,
    password: dsn.password,
    ...(dsn.database ? { database: dsn.database } : {}),
    ...(dsn.ssl ? { ssl: {} } : {}),
    connectTimeout: connectTimeoutMs,
    // performance_schema counters are BIGINT UNSIGNED and picosecond timers pass 2^53: keep them as text.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    multipleStatements: false,
    // MySQL's application_name: visible in performance_schema.session_connect_attrs.
    connectAttributes: { program_name: 'dbdiag' },
  };
}
