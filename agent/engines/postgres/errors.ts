import pg from 'pg';
import { ERROR_CODES, type ErrorCode } from '../error-codes.js';

// Driver errors classified by SQLSTATE (server) or errno (socket), never by message text.
// SQLSTATE: https://www.postgresql.org/docs/current/errcodes-appendix.html

const BY_SQLSTATE: ReadonlyMap<string, ErrorCode> = new Map<string, ErrorCode>([
  ['28P01', ERROR_CODES.authFailed], // invalid_password
  ['28000', ERROR_CODES.authFailed], // invalid_authorization_specification (no pg_hba entry, unknown role)
  ['53300', ERROR_CODES.tooManyConnections], // too_many_connections (also "reserved for superuser")
  ['3D000', ERROR_CODES.unknownDatabase], // invalid_catalog_name
  ['57P01', ERROR_CODES.connectionLost], // admin_shutdown (pg_terminate_backend, fast shutdown)
  ['57P02', ERROR_CODES.connectionLost], // crash_shutdown
  ['57P03', ERROR_CODES.connectionLost], // cannot_connect_now (starting up / shutting down)
  ['57P05', ERROR_CODES.connectionLost], // idle_session_timeout (14+)
  ['25P03', ERROR_CODES.connectionLost], // idle_in_transaction_session_timeout
  ['08000', ERROR_CODES.connectionLost], // connection_exception
  ['08003', ERROR_CODES.connectionLost], // connection_does_not_exist
  ['08006', ERROR_CODES.connectionLost], // connection_failure
  ['42501', ERROR_CODES.permissionDenied], // insufficient_privilege
  ['57014', ERROR_CODES.timeout], // query_canceled (statement_timeout)
  ['55P03', ERROR_CODES.timeout], // lock_not_available (lock_timeout)
]);

const BY_ERRNO: ReadonlyMap<string, ErrorCode> = new Map<string, ErrorCode>([
  ['ECONNREFUSED', ERROR_CODES.serverDown],
  ['ENOTFOUND', ERROR_CODES.serverDown],
  ['EAI_AGAIN', ERROR_CODES.serverDown],
  ['EHOSTUNREACH', ERROR_CODES.serverDown],
  ['ENETUNREACH', ERROR_CODES.serverDown],
  ['ENOENT', ERROR_CODES.serverDown], // unix socket missing
  ['ECONNRESET', ERROR_CODES.connectionLost],
  ['EPIPE', ERROR_CODES.connectionLost],
  ['ETIMEDOUT', ERROR_CODES.connectionLost],
  ['ERR_SOCKET_CLOSED', ERROR_CODES.connectionLost],
]);

export type ErrorContext = 'connect' | 'sample';

function socketCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect wraps per-address failures in an AggregateError.
  if (error instanceof AggregateError) return socketCode(error.errors[0]);
  return undefined;
}

/** SQLSTATE of a server error, when the error came from the server. */
export function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

/**
 * Engine-neutral code of a node-postgres error. node-postgres reports a dropped socket
 * ("Connection terminated unexpectedly"), a client-side read timeout and a connect timeout
 * without any code: an error with neither SQLSTATE nor errno is a transport failure, so it is
 * 'connection-lost' while sampling and 'server-down' while connecting. While connecting,
 * "the session died" reads as "the server is not taking connections" too.
 */
export function classifyPostgresError(error: unknown, context: ErrorContext): ErrorCode {
  const state = sqlState(error);
  let code: ErrorCode;
  if (state !== undefined) code = BY_SQLSTATE.get(state) ?? ERROR_CODES.queryFailed;
  else {
    const errno = socketCode(error);
    code =
      errno === undefined ? ERROR_CODES.connectionLost : (BY_ERRNO.get(errno) ?? ERROR_CODES.connectionLost);
  }
  if (context === 'connect' && code === ERROR_CODES.connectionLost) return ERROR_CODES.serverDown;
  return code;
}

/** What a person should do about a connect failure, appended to the one-line reason. */
export const NEXT_STEP: Partial<Record<ErrorCode, string>> = {
  'server-down': 'is the server running and reachable at that host and port?',
  'auth-failed': 'check the user and password (and pg_hba.conf)',
  'too-many-connections': 'every connection slot is taken: free one, or raise max_connections / use a pooler',
  'unknown-database': 'check the database name in the DSN',
  'permission-denied': 'grant the role pg_monitor',
};
