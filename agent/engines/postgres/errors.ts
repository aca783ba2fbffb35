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

/** How the server asked the client to authenticate, from the protocol message it sent. */
export type AuthRequest = 'SCRAM-SHA-256' | 'md5' | 'password';

/** node-postgres' protocol events for each authentication request. */
export const AUTH_REQUEST_EVENTS: Readonly<Record<string, AuthRequest>> = {
  authenticationSASL: 'SCRAM-SHA-256',
  authenticationMD5Password: 'md5',
  authenticationCleartextPassword: 'password',
};

export interface ConnectAttempt {
  /** the server's authentication request, null when it never asked (trust, or it failed earlier) */
  authRequested: AuthRequest | null;
  /** a password was given (DSN, PGPASSWORD or ~/.pgpass) */
  passwordGiven: boolean;
  database: string;
  user: string;
}

export interface ConnectFailure {
  code: ErrorCode;
  reason: string;
  next: string | null;
}

/**
 * The cause of a failed connect, as a person should read it. Told apart by what happened on
 * the wire (the server's authentication request, SQLSTATE, errno), never by message text: a
 * server that asked for a password which the client did not have fails on the client side,
 * without a SQLSTATE, and must not read as "is the server running?".
 */
export function connectFailure(error: unknown, attempt: ConnectAttempt, described: string): ConnectFailure {
  const state = sqlState(error);
  if (
    attempt.authRequested !== null &&
    !attempt.passwordGiven &&
    (state === undefined || state === '28P01')
  ) {
    return {
      code: ERROR_CODES.authFailed,
      reason: `password authentication required (the server asks for ${attempt.authRequested}) and no password was supplied`,
      next: 'put the password in the DSN (percent-encoded), in the variable dsnEnv names, or in ~/.pgpass',
    };
  }
  const code = classifyPostgresError(error, 'connect');
  if (code === ERROR_CODES.permissionDenied) {
    // At connect, 42501 is the database's CONNECT privilege, not a monitoring grant.
    return {
      code,
      reason: described,
      next: `GRANT CONNECT ON DATABASE "${attempt.database}" TO "${attempt.user}"`,
    };
  }
  return { code, reason: described, next: NEXT_STEP[code] ?? null };
}
