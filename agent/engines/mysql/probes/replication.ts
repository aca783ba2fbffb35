import type { ReplicaSelf, ReplicationSignals } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import type { Row } from '../connection.js';
import { numOrNull, type ProbeContext } from '../context.js';
import { holds } from '../privileges.js';
import { pickSql, type VersionedSql } from '../server.js';

// The server's replication role and, on a replica, its own replay: SHOW REPLICA STATUS
// (MariaDB 10.5.1+, MySQL 8.0.22+; SHOW SLAVE STATUS before). A server with no replication
// configured is a primary (or a lone server): a MySQL/MariaDB primary does not know how far its
// replicas are, so its per-replica series come from the replicas' own targets (the agent links
// them when both are configured).
//
// Lag is events received and not yet applied. While the SQL thread runs, Seconds_Behind_Master
// says it (0 when everything received is applied: an idle replica has zero lag). While it is
// stopped the server says NULL: the lag is then counted from the first sample that saw events
// pending at the position the SQL thread stopped at (kept per target), so it grows with wall
// time as the replica falls behind; and bytes are the relay distance when both positions are in
// the same binary log file.

export const REPLICA_STATUS_SQL: VersionedSql = {
  mariadb: { '10.5': '/* dbdiag:replication */ SHOW REPLICA STATUS' },
  mysql: {
    '8.0': '/* dbdiag:replication */ SHOW SLAVE STATUS',
    '8.0.22': '/* dbdiag:replication */ SHOW REPLICA STATUS',
  },
};

/** What an account needs for SHOW REPLICA STATUS: MariaDB 10.5.9+ SLAVE MONITOR (or SUPER), MySQL REPLICATION CLIENT. */
const STATUS_PRIVILEGES = ['SLAVE MONITOR', 'REPLICA MONITOR', 'SUPER', 'REPLICATION CLIENT'];

/** The first of these columns the row has (MySQL 8.0.22 renamed Slave/Master to Replica/Source). */
function col(row: Row, ...names: string[]): string | null {
  for (const name of names) {
    const value = row[name];
    if (value !== undefined && value !== null) return String(value);
  }
  return null;
}

export interface ReplicaStatus {
  ioRunning: string | null;
  sqlRunning: string | null;
  secondsBehind: number | null;
  sourceLogFile: string | null;
  readPos: number | null;
  execLogFile: string | null;
  execPos: number | null;
  lastIoError: string | null;
  lastSqlError: string | null;
}

export function readStatus(row: Row): ReplicaStatus {
  const ioErrno = numOrNull(col(row, 'Last_IO_Errno'));
  const sqlErrno = numOrNull(col(row, 'Last_SQL_Errno'));
  const ioError = col(row, 'Last_IO_Error');
  const sqlError = col(row, 'Last_SQL_Error');
  return {
    ioRunning: col(row, 'Slave_IO_Running', 'Replica_IO_Running'),
    sqlRunning: col(row, 'Slave_SQL_Running', 'Replica_SQL_Running'),
    secondsBehind: numOrNull(col(row, 'Seconds_Behind_Master', 'Seconds_Behind_Source')),
    sourceLogFile: col(row, 'Master_Log_File', 'Source_Log_File'),
    readPos: numOrNull(col(row, 'Read_Master_Log_Pos', 'Read_Source_Log_Pos')),
    execLogFile: col(row, 'Relay_Master_Log_File', 'Relay_Source_Log_File'),
    execPos: numOrNull(col(row, 'Exec_Master_Log_Pos', 'Exec_Source_Log_Pos')),
    lastIoError: ioErrno && ioError ? `IO error ${ioErrno}: ${ioError}` : null,
    lastSqlError: sqlErrno && sqlError ? `SQL error ${sqlErrno}: ${sqlError}` : null,
  };
}

/** Where the SQL thread stood when events were first seen pending there, and when (per target). */
export interface PendingSince {
  position: string;
  since: number;
}

/** The replica's own view; `pending` is the remembered start of the current backlog (updated in place by the caller). */
export function replicaSelf(
  s: ReplicaStatus,
  now: number,
  pending: PendingSince | null,
): { self: ReplicaSelf; pending: PendingSince | null } {
  const sqlRunning = s.sqlRunning === 'Yes';
  const lagBytes =
    s.readPos !== null && s.execPos !== null && s.sourceLogFile !== null && s.sourceLogFile === s.execLogFile
      ? Math.max(0, s.readPos - s.execPos)
      : null;
  const position = `${s.execLogFile ?? ''}:${s.execPos ?? ''}`;
  let lagSeconds: number | null;
  let next: PendingSince | null = null;
  if (sqlRunning && s.secondsBehind !== null) lagSeconds = s.secondsBehind;
  else if (lagBytes === 0) lagSeconds = 0;
  else if (lagBytes === null) lagSeconds = null;
  else {
    next = pending !== null && pending.position === position ? pending : { position, since: now };
    lagSeconds = (now - next.since) / 1000;
  }
  const lastError = s.lastSqlError ?? s.lastIoError;
  return {
    self: {
      lagBytes,
      lagSeconds,
      // stopped by an administrator (STOP REPLICA SQL_THREAD), not by an error
      paused: !sqlRunning && s.lastSqlError === null,
      receiving: s.ioRunning === null ? null : s.ioRunning === 'Yes',
      lastError,
      conflicts: null,
    },
    pending: next,
  };
}

export async function sampleReplication(ctx: ProbeContext): Promise<ProbeOutcome> {
  const sql = pickSql(REPLICA_STATUS_SQL, ctx.server);
  if (sql === null) return { status: 'unsupported', reason: 'replication needs MySQL 8.0+ or MariaDB 10.5+' };
  const grants = ctx.state.grants;
  // without the grant the statement is not tried (no "denied" in the server's log every cycle):
  // quiet, like a server without replication, with the grant that turns it on in the reason
  if (grants !== undefined && !STATUS_PRIVILEGES.some((p) => holds(grants, p, null)))
    return {
      status: 'unsupported',
      reason: `the account may not read the replication status — ${
        ctx.server.flavor === 'mariadb'
          ? `GRANT SLAVE MONITOR ON *.* TO ${grants.account};`
          : `GRANT REPLICATION CLIENT ON *.* TO ${grants.account};`
      } (see README, MySQL/MariaDB account)`,
    };
  const at = ctx.now();
  const [row] = await ctx.query(sql);
  let self: ReplicaSelf | null = null;
  // no row: no replication configured on this server
  if (row !== undefined) {
    const judged = replicaSelf(readStatus(row), at, ctx.state.replicationPending ?? null);
    ctx.state.replicationPending = judged.pending;
    self = judged.self;
  } else ctx.state.replicationPending = null;
  const replication: ReplicationSignals = {
    at,
    role: self === null ? 'primary' : 'replica',
    replicas: [],
    slots: [],
    self,
  };
  return { status: 'ok', signals: { replication } };
}
