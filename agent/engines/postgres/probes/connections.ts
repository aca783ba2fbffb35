import type { ConnectionSignals } from '../../../snapshot/signals.js';
import { num, numOrNull, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// Client backends (the ones that take a max_connections slot) by state, from one pass over
// pg_stat_activity. The agent's own session counts in `used` (its slot is taken) but never in
// the oldest-transaction ages. A session waiting on a heavyweight lock counts as waiting, not
// active. "Oldest idle in transaction" is how long the session has sat idle inside its
// transaction (since state_change), which is what idle_in_transaction_session_timeout cuts.
// A role without pg_read_all_stats sees other roles' rows with backend_type and state hidden:
// those with a database and a user are counted as client sessions in state `other` (this may
// include another role's parallel workers, which are rare and short-lived); background
// processes have no database or no user and stay out.

const COUNTS = `
  count(*)::int AS used,
  count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting_lock,
  count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock')::int AS active,
  count(*) FILTER (WHERE state = 'idle')::int AS idle,
  count(*) FILTER (WHERE state LIKE 'idle in transaction%' AND wait_event_type IS DISTINCT FROM 'Lock')::int AS idle_in_transaction,
  extract(epoch FROM max(clock_timestamp() - xact_start) FILTER (WHERE pid <> pg_backend_pid()))::float8 AS oldest_xact_seconds,
  extract(epoch FROM max(clock_timestamp() - state_change)
    FILTER (WHERE pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'))::float8 AS oldest_idle_xact_seconds,
  current_setting('max_connections')::int AS max_connections,
  (pg_size_bytes(current_setting('work_mem')) + pg_size_bytes(current_setting('temp_buffers')))::float8 AS per_connection_bytes`;

const CLIENT_BACKENDS = `(backend_type = 'client backend'
  OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL))`;

export const CONNECTIONS_SQL: VersionedSql = {
  130000: `/* dbdiag:connections */ SELECT ${COUNTS},
  current_setting('superuser_reserved_connections')::int AS reserved
FROM pg_stat_activity
WHERE ${CLIENT_BACKENDS}`,
  // 16 added reserved_connections (slots kept for pg_use_reserved_connections members).
  160000: `/* dbdiag:connections */ SELECT ${COUNTS},
  current_setting('superuser_reserved_connections')::int + current_setting('reserved_connections')::int AS reserved
FROM pg_stat_activity
WHERE ${CLIENT_BACKENDS}`,
};

interface Row {
  used: number;
  waiting_lock: number;
  active: number;
  idle: number;
  idle_in_transaction: number;
  oldest_xact_seconds: number | null;
  oldest_idle_xact_seconds: number | null;
  max_connections: number;
  reserved: number;
  per_connection_bytes: number | null;
}

export function toConnectionSignals(row: Row, at: number): ConnectionSignals {
  const used = num(row.used);
  const byState = {
    active: num(row.active),
    idle: num(row.idle),
    idleInTransaction: num(row.idle_in_transaction),
    waitingLock: num(row.waiting_lock),
    other: 0,
  };
  // Sessions still authenticating, in a fastpath call, or (without pg_read_all_stats) of other users.
  byState.other = Math.max(
    0,
    used - byState.active - byState.idle - byState.idleInTransaction - byState.waitingLock,
  );
  return {
    at,
    used,
    max: num(row.max_connections),
    maxSetting: num(row.max_connections),
    reserved: num(row.reserved),
    byState,
    oldestTransactionSeconds: numOrNull(row.oldest_xact_seconds),
    oldestIdleInTransactionSeconds: numOrNull(row.oldest_idle_xact_seconds),
    peakUsed: null,
    refusedTotal: null,
    abortedConnectsTotal: null,
    perConnectionMemoryBytes: numOrNull(row.per_connection_bytes),
  };
}

export function createConnectionsProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const sql = sqlForVersion(CONNECTIONS_SQL, context.versionNum);
      if (sql === null) return unsupported(`PostgreSQL ${versionLabel(context.versionNum)} is older than 13`);
      const at = Date.now();
      const [row] = await context.query<Row>(sql);
      if (row === undefined) throw new Error('pg_stat_activity returned no row');
      return { status: 'ok', signals: { connections: toConnectionSignals(row, at) } };
    },
  };
}
