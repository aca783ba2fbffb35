import { ERROR_CODES, type ErrorCode } from '../error-codes.js';

// Driver errors classified by server errno or client code, never by message text.
// errno: https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html and
// MariaDB's https://mariadb.com/kb/en/mariadb-error-code-reference/

const BY_ERRNO: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [1045, ERROR_CODES.authFailed], // ER_ACCESS_DENIED_ERROR (bad user/password)
  [1130, ERROR_CODES.authFailed], // ER_HOST_NOT_PRIVILEGED (host may not connect)
  [1251, ERROR_CODES.authFailed], // ER_NOT_SUPPORTED_AUTH_MODE
  [1040, ERROR_CODES.tooManyConnections], // ER_CON_COUNT_ERROR
  [1203, ERROR_CODES.tooManyConnections], // ER_TOO_MANY_USER_CONNECTIONS (max_user_connections)
  [1226, ERROR_CODES.tooManyConnections], // ER_USER_LIMIT_REACHED
  [1049, ERROR_CODES.unknownDatabase], // ER_BAD_DB_ERROR
  [1053, ERROR_CODES.serverDown], // ER_SERVER_SHUTDOWN
  [1927, ERROR_CODES.connectionLost], // MariaDB ER_CONNECTION_KILLED
  [1317, ERROR_CODES.connectionLost], // ER_QUERY_INTERRUPTED (KILL, shutdown)
  [2006, ERROR_CODES.connectionLost], // CR_SERVER_GONE_ERROR
  [2013, ERROR_CODES.connectionLost], // CR_SERVER_LOST
  [4031, ERROR_CODES.connectionLost], // MySQL 8.0.24+ ER_CLIENT_INTERACTION_TIMEOUT
  [1142, ERROR_CODES.permissionDenied], // ER_TABLEACCESS_DENIED_ERROR
  [1143, ERROR_CODES.permissionDenied], // ER_COLUMNACCESS_DENIED_ERROR
  [1227, ERROR_CODES.permissionDenied], // ER_SPECIFIC_ACCESS_DENIED_ERROR (needs PROCESS, ...)
  [1044, ERROR_CODES.permissionDenied], // ER_DBACCESS_DENIED_ERROR
  [1370, ERROR_CODES.permissionDenied], // ER_PROCACCESS_DENIED_ERROR
  [3024, ERROR_CODES.timeout], // MySQL ER_QUERY_TIMEOUT (max_execution_time)
  [1969, ERROR_CODES.timeout], // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
]);

const BY_CODE: ReadonlyMap<string, ErrorCode> = new Map<string, ErrorCode>([
  ['ECONNREFUSED', ERROR_CODES.serverDown],
  ['ENOENT', ERROR_CODES.serverDown], // unix socket missing
  ['EHOSTUNREACH', ERROR_CODES.serverDown],
  ['ENETUNREACH', ERROR_CODES.serverDown],
  ['ENOTFOUND', ERROR_CODES.serverDown],
  ['EAI_AGAIN', ERROR_CODES.serverDown],
  ['ETIMEDOUT', ERROR_CODES.serverDown], // connect timeout
  ['PROTOCOL_CONNECTION_LOST', ERROR_CODES.connectionLost],
  ['ECONNRESET', ERROR_CODES.connectionLost],
  ['EPIPE', ERROR_CODES.connectionLost],
  ['PROTOCOL_SEQUENCE_TIMEOUT', ERROR_CODES.timeout],
  ['PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', ERROR_CODES.connectionLost],
  ['PROTOCOL_ENQUEUE_AFTER_QUIT', ERROR_CODES.connectionLost],
  ['ERR_SOCKET_CLOSED', ERROR_CODES.connectionLost],
]);

interface DriverErrorShape {
  errno?: unknown;
  code?: unknown;
  fatal?: unknown;
}

function shape(error: unknown): DriverErrorShape {
  return typeof error === 'object' && error !== null ? (error as DriverErrorShape) : {};
}

/** Engine-neutral code of a mysql2 error. */
export function classifyMysqlError(error: unknown): ErrorCode {
  const { errno, code, fatal } = shape(error);
  if (typeof errno === 'number') {
    const byErrno = BY_ERRNO.get(errno);
    if (byErrno) return byErrno;
  }
  if (typeof code === 'string') {
    const byCode = BY_CODE.get(code);
    if (byCode) return byCode;
  }
  // mysql2 marks errors after which the connection is unusable as fatal.
  if (fatal === true) return ERROR_CODES.connectionLost;
  return ERROR_CODES.queryFailed;
}

/** Whether the connection is unusable after this error (the session must be re-opened). */
export function isSessionFatal(error: unknown): boolean {
  const code = classifyMysqlError(error);
  return (
    code === ERROR_CODES.connectionLost || code === ERROR_CODES.serverDown || shape(error).fatal === true
  );
}
