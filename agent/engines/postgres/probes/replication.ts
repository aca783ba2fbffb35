import type { ReplicaSelf, ReplicaStat, ReplicationSignals, SlotStat } from '../../../snapshot/signals.js';
import { numOrNull, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// The server's replication role, its replicas and slots (on a primary), its own replay (on a
// replica). "Lag" is WAL not yet replayed: a replica of an idle primary with nothing pending has
// zero lag, not the age of its last replayed transaction. Everything here is readable by a role
// in pg_monitor (pg_stat_replication's positions need pg_read_all_stats; without it they are
// NULL and the lag is reported unknown, never as zero).

export const ROLE_SQL: VersionedSql = {
  130000: `/* dbdiag:replication */ SELECT pg_is_in_recovery() AS in_recovery`,
};

/** On a primary: one row per connected replica (WAL sender). replay_lag is NULL once the replica is idle and caught up. */
export const REPLICAS_SQL: VersionedSql = {
  130000: `/* dbdiag:replication */ SELECT
  COALESCE(NULLIF(application_name, ''), host(client_addr), pid::text) AS name,
  state,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag_bytes,
  extract(epoch FROM replay_lag)::float8 AS lag_seconds
FROM pg_stat_replication
ORDER BY 1`,
};

/** On a primary: every slot and the WAL it keeps (restart_lsn is NULL for a slot that reserved none). */
export const SLOTS_SQL: VersionedSql = {
  130000: `/* dbdiag:replication */ SELECT
  slot_name AS name,
  active,
  pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained_bytes,
  safe_wal_size::float8 AS safe_bytes,
  wal_status
FROM pg_replication_slots
ORDER BY 1`,
};

/**
 * On a replica: received-but-not-replayed WAL and the age of the last replayed transaction, when
 * something is pending; whether a WAL receiver streams (no row: none runs, the replica receives
 * nothing; a row whose status is hidden from a role without pg_read_all_stats: unknown); queries
 * cancelled by recovery conflicts.
 */
const SELF_COLUMNS = `
  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS lag_bytes,
  CASE WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
       ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS lag_seconds,
  CASE WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN false
       ELSE (SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1) END AS receiving,
  (SELECT sum(confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin + confl_deadlock)
     FROM pg_stat_database_conflicts)::float8 AS conflicts`;

export const REPLICA_SELF_SQL: VersionedSql = {
  130000: `/* dbdiag:replication */ SELECT ${SELF_COLUMNS.trim()},
  pg_is_wal_replay_paused() AS paused`,
  // 14+: 'pause requested' counts as paused (replay stops at the next record)
  140000: `/* dbdiag:replication */ SELECT ${SELF_COLUMNS.trim()},
  pg_get_wal_replay_pause_state() <> 'not paused' AS paused`,
};

interface ReplicaRow {
  name: string;
  state: string | null;
  lag_bytes: number | null;
  lag_seconds: number | null;
}

interface SlotRow {
  name: string;
  active: boolean;
  retained_bytes: number | null;
  safe_bytes: number | null;
  wal_status: string | null;
}

interface SelfRow {
  lag_bytes: number | null;
  lag_seconds: number | null;
  paused: boolean;
  receiving: boolean | null;
  conflicts: number | null;
}

/** A replica with nothing pending has zero lag even when replay_lag is NULL (idle, caught up). */
export function toReplicaStat(row: ReplicaRow): ReplicaStat {
  const lagBytes = numOrNull(row.lag_bytes);
  const measured = numOrNull(row.lag_seconds);
  return {
    name: row.name,
    state: row.state ?? 'unknown',
    lagBytes,
    lagSeconds: lagBytes === 0 ? 0 : measured,
  };
}

export function createReplicationProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const roleSql = sqlForVersion(ROLE_SQL, context.versionNum);
      const replicasSql = sqlForVersion(REPLICAS_SQL, context.versionNum);
      const slotsSql = sqlForVersion(SLOTS_SQL, context.versionNum);
      const selfSql = sqlForVersion(REPLICA_SELF_SQL, context.versionNum);
      if (roleSql === null || replicasSql === null || slotsSql === null || selfSql === null)
        return unsupported(`PostgreSQL ${versionLabel(context.versionNum)} is older than 13`);
      const at = Date.now();
      const [role] = await context.query<{ in_recovery: boolean }>(roleSql);
      let replicas: ReplicaStat[] = [];
      let slots: SlotStat[] = [];
      let self: ReplicaSelf | null = null;
      if (role?.in_recovery === true) {
        // pg_current_wal_lsn() raises during recovery: a replica reports its own replay only
        const [row] = await context.query<SelfRow>(selfSql);
        self = {
          lagBytes: numOrNull(row?.lag_bytes),
          lagSeconds: numOrNull(row?.lag_seconds),
          paused: row?.paused === true,
          receiving: row?.receiving ?? null,
          // PostgreSQL reports no apply error to SQL: a failing replica stops its receiver or replay (in the log)
          lastError: null,
          conflicts: numOrNull(row?.conflicts),
        };
      } else {
        replicas = (await context.query<ReplicaRow>(replicasSql)).map(toReplicaStat);
        slots = (await context.query<SlotRow>(slotsSql)).map((r) => ({
          name: r.name,
          active: r.active === true,
          retainedBytes: numOrNull(r.retained_bytes),
          safeBytes: numOrNull(r.safe_bytes),
          walStatus: r.wal_status ?? null,
        }));
      }
      const replication: ReplicationSignals = {
        at,
        role: self === null ? 'primary' : 'replica',
        replicas,
        slots,
        self,
      };
      return { status: 'ok', signals: { replication } };
    },
  };
}
