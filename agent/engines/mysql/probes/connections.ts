import type { ConnectionSignals, ConnectionStates } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import { num, numOrNull, type ProbeContext } from '../context.js';
import { lacking } from '../privileges.js';
import { pickSql, type VersionedSql } from '../server.js';
import { readGlobalStatus } from '../status.js';

/**
 * The reserved slot. max_connections counts ordinary connections; the server accepts ONE more
 * on top of it, kept for an account with CONNECTION_ADMIN / SUPER (MariaDB: CONNECTION ADMIN /
 * SUPER), so an administrator can still get in when clients have taken every slot. A normal
 * client gets "Too many connections" (errno 1040) once max_connections connections exist.
 *
 * In dbdiag's engine-neutral terms (as for PostgreSQL): `max` is every slot the server has,
 * `reserved` the slots ordinary clients can never take, and the saturation ratio
 * used / (max − reserved) reaches 1.0 exactly when the next ordinary client would be refused.
 * So for MySQL/MariaDB: max = max_connections + 1, reserved = 1, and the ratio is
 * Threads_connected / max_connections. It passes 1.0 only when an administrator sits in the
 * extra slot.
 */
export const ADMIN_RESERVED_SLOTS = 1;

export const CONNECTION_STATUS_NAMES = [
  'Threads_connected',
  'Max_used_connections',
  'Connection_errors_max_connections',
  'Aborted_connects',
] as const;

/** The settings part alone, for an account without PROCESS (INNODB_TRX needs it); same on both flavors. */
export const CONNECTION_SETTINGS_OWN_SQL = `/* dbdiag:connections */ SELECT @@max_connections AS dbdiag_max_connections,
  @@sort_buffer_size + @@join_buffer_size + @@read_buffer_size + @@read_rnd_buffer_size + @@thread_stack AS per_connection_bytes,
  NULL AS oldest_transaction_seconds`;

/**
 * Settings and the oldest open transaction of anyone but the agent. INNODB_TRX needs PROCESS.
 * perConnection: the buffers one session may allocate (sort, join, read, read_rnd) plus its thread stack.
 */
export const CONNECTION_SETTINGS_SQL: VersionedSql = {
  mysql: {
    '8.0': `/* dbdiag:connections */ SELECT @@max_connections AS dbdiag_max_connections,
  @@sort_buffer_size + @@join_buffer_size + @@read_buffer_size + @@read_rnd_buffer_size + @@thread_stack AS per_connection_bytes,
  (SELECT MAX(TIMESTAMPDIFF(SECOND, dbdiag_trx.trx_started, NOW())) FROM information_schema.INNODB_TRX AS dbdiag_trx
    WHERE dbdiag_trx.trx_mysql_thread_id <> CONNECTION_ID()) AS oldest_transaction_seconds`,
  },
  mariadb: {
    '10.5': `/* dbdiag:connections */ SELECT @@max_connections AS dbdiag_max_connections,
  @@sort_buffer_size + @@join_buffer_size + @@read_buffer_size + @@read_rnd_buffer_size + @@thread_stack AS per_connection_bytes,
  (SELECT MAX(TIMESTAMPDIFF(SECOND, dbdiag_trx.trx_started, NOW())) FROM information_schema.INNODB_TRX AS dbdiag_trx
    WHERE dbdiag_trx.trx_mysql_thread_id <> CONNECTION_ID()) AS oldest_transaction_seconds`,
  },
};

/**
 * Client sessions by state, the agent's own excluded (its slot still counts in `used`).
 * A sleeping session with an open InnoDB transaction is idle in transaction; a row lock wait
 * shows only in INNODB_TRX (trx_state), a metadata or table lock wait in the process list state.
 * information_schema.PROCESSLIST exists in both (MySQL 8.0.22+ deprecates it in favour of
 * performance_schema.processlist, which would need performance_schema on): one query for both,
 * but for the COMMANDs under which each flavor lists server threads that are not client sessions.
 */
function sessionsSql(excludedCommands: string): string {
  return `/* dbdiag:connections */ SELECT CASE
    WHEN dbdiag_t.trx_state = 'LOCK WAIT' OR dbdiag_p.STATE LIKE 'Waiting for%lock%' THEN 'waitingLock'
    WHEN dbdiag_p.COMMAND = 'Sleep' AND dbdiag_t.trx_id IS NOT NULL THEN 'idleInTransaction'
    WHEN dbdiag_p.COMMAND = 'Sleep' THEN 'idle'
    WHEN dbdiag_p.COMMAND IN ('Query', 'Execute', 'Fetch') THEN 'active'
    ELSE 'other' END AS session_state,
  COUNT(*) AS sessions,
  MAX(IF(dbdiag_p.COMMAND = 'Sleep', TIMESTAMPDIFF(SECOND, dbdiag_t.trx_started, NOW()), NULL)) AS oldest_idle_trx_seconds
FROM information_schema.PROCESSLIST AS dbdiag_p
LEFT JOIN information_schema.INNODB_TRX AS dbdiag_t ON dbdiag_t.trx_mysql_thread_id = dbdiag_p.ID
WHERE dbdiag_p.ID <> CONNECTION_ID()
  AND dbdiag_p.COMMAND NOT IN (${excludedCommands})
  AND dbdiag_p.USER NOT IN ('system user', 'event_scheduler')
GROUP BY session_state`;
}

export const SESSIONS_SQL: VersionedSql = {
  mysql: { '8.0': sessionsSql("'Daemon', 'Binlog Dump', 'Binlog Dump GTID'") },
  // MariaDB lists background threads with USER 'system user' and COMMAND 'Daemon' too, and
  // replica threads under their own commands.
  mariadb: { '10.5': sessionsSql("'Daemon', 'Binlog Dump', 'Slave_IO', 'Slave_SQL', 'Slave_worker'") },
};

interface SessionRow {
  [key: string]: string | number | null;
  session_state: string;
  sessions: string | number;
  oldest_idle_trx_seconds: string | number | null;
}

const STATES: readonly (keyof ConnectionStates)[] = [
  'active',
  'idle',
  'idleInTransaction',
  'waitingLock',
  'other',
];

export function sessionsByState(rows: readonly SessionRow[]): {
  byState: ConnectionStates;
  oldestIdleInTransactionSeconds: number | null;
} {
  const byState: ConnectionStates = { active: 0, idle: 0, idleInTransaction: 0, waitingLock: 0, other: 0 };
  let oldestIdle: number | null = null;
  for (const row of rows) {
    const state = (STATES as readonly string[]).includes(row.session_state)
      ? (row.session_state as keyof ConnectionStates)
      : 'other';
    byState[state] += num(row.sessions);
    const idle = numOrNull(row.oldest_idle_trx_seconds);
    if (idle !== null) oldestIdle = Math.max(oldestIdle ?? 0, idle);
  }
  return { byState, oldestIdleInTransactionSeconds: oldestIdle };
}

export async function sampleConnections(ctx: ProbeContext): Promise<ProbeOutcome> {
  const settingsSql = pickSql(CONNECTION_SETTINGS_SQL, ctx.server);
  const sessionsSql = pickSql(SESSIONS_SQL, ctx.server);
  if (settingsSql === null || sessionsSql === null)
    return { status: 'unsupported', reason: 'connections probe needs MySQL 8.0+ or MariaDB 10.5+' };
  const status = await readGlobalStatus(ctx, CONNECTION_STATUS_NAMES);
  // Without PROCESS the account sees only its own sessions and may not read INNODB_TRX.
  const grant = lacking(ctx.state.grants, 'PROCESS', null);
  const [settings] = await ctx.query(grant === null ? settingsSql : CONNECTION_SETTINGS_OWN_SQL);
  const sessions = grant === null ? await ctx.query<SessionRow>(sessionsSql) : [];
  const maxConnections = num(settings?.dbdiag_max_connections);
  const { byState, oldestIdleInTransactionSeconds } = sessionsByState(sessions);
  const signals: ConnectionSignals = {
    at: ctx.now(),
    used: status.get('threads_connected') ?? 0,
    max: maxConnections + ADMIN_RESERVED_SLOTS,
    maxSetting: maxConnections,
    reserved: ADMIN_RESERVED_SLOTS,
    byState,
    oldestTransactionSeconds: numOrNull(settings?.oldest_transaction_seconds),
    oldestIdleInTransactionSeconds,
    peakUsed: status.get('max_used_connections') ?? null,
    refusedTotal: status.get('connection_errors_max_connections') ?? null,
    abortedConnectsTotal: status.get('aborted_connects') ?? null,
    perConnectionMemoryBytes: numOrNull(settings?.per_connection_bytes),
  };
  if (grant === null) return { status: 'ok', signals: { connections: signals } };
  return {
    status: 'ok',
    signals: { connections: signals },
    partial: `the account lacks PROCESS: other accounts' sessions and transactions are hidden (session states, idle-in-transaction and long transactions not counted) — ${grant}`,
  };
}
