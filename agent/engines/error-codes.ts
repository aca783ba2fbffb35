// Engine-neutral error codes. Engines map SQLSTATE / errno to these; callers branch on them.
export const ERROR_CODES = {
  /** connection refused, host unreachable, server shutting down */
  serverDown: 'server-down',
  authFailed: 'auth-failed',
  tooManyConnections: 'too-many-connections',
  badDsn: 'bad-dsn',
  unknownDatabase: 'unknown-database',
  /** the session died (terminated, network drop): re-open it */
  connectionLost: 'connection-lost',
  permissionDenied: 'permission-denied',
  /** a server-side statement or lock timeout: the session itself is still good */
  timeout: 'timeout',
  /** the client waited past the server-side timeout and got no answer: the session cannot be trusted */
  sessionStalled: 'session-stalled',
  queryFailed: 'query-failed',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
