// The engine-neutral vocabulary. Engines convert their catalog rows into these shapes at the
// probe boundary; everything above agent/engines/ (rates, advisors, metrics, reports) reads
// only these. Counters are cumulative since the server (or its statistics) last reset;
// rates.ts turns them into per-interval deltas. Times are epoch milliseconds.

/** one of the engines in agent/engines/names.ts */
export type { EngineName } from '../engines/names.js';

export interface ConnectionStates {
  active: number;
  idle: number;
  idleInTransaction: number;
  /** waiting on a row lock, table lock or (MySQL) metadata lock */
  waitingLock: number;
  other: number;
}

export interface ConnectionSignals {
  at: number;
  /** client connections holding a slot, the agent's own included (that slot is taken) */
  used: number;
  /** every slot the server has, reserved ones included */
  max: number;
  /**
   * the max_connections setting as the server holds it (what a person raises): PostgreSQL's
   * counts the reserved slots (= max); MySQL/MariaDB keep their administrator's slot beyond it (max - 1)
   */
  maxSetting: number;
  /** slots ordinary clients can never take: PostgreSQL superuser_reserved_connections (+ reserved_connections on 16+); MySQL the one extra connection kept for an administrative user */
  reserved: number;
  byState: ConnectionStates;
  /** age of the oldest open transaction of any client session other than the agent's */
  oldestTransactionSeconds: number | null;
  oldestIdleInTransactionSeconds: number | null;
  /** highest concurrent connections since server start, when the server keeps it (MySQL Max_used_connections) */
  peakUsed: number | null;
  /** cumulative: connections refused because the server was full (MySQL Connection_errors_max_connections) */
  refusedTotal: number | null;
  /** cumulative: failed connection attempts (MySQL Aborted_connects) */
  abortedConnectsTotal: number | null;
  /** per-connection memory the server may hand each session, for sizing advice (work_mem, sort/join buffers) */
  perConnectionMemoryBytes: number | null;
}

export interface PoolStat {
  /** database/user pair as the pooler names it, e.g. "app/app_user" */
  pool: string;
  clientsActive: number;
  clientsWaiting: number;
  serversActive: number;
  serversIdle: number;
  maxWaitSeconds: number;
  /** pool_size the pooler is configured with, when it says */
  poolSize: number | null;
}

export interface PoolerSignals {
  at: number;
  kind: 'pgbouncer';
  pools: PoolStat[];
}

export interface StatementStat {
  /** the server's stable id: PostgreSQL queryid, MySQL DIGEST (as text) */
  id: string;
  /** normalized text as the server gives it ($1 / ?), may be truncated by the server */
  fingerprint: string;
  database: string | null;
  user: string | null;
  calls: number;
  totalSeconds: number;
  /** rows returned or affected (PostgreSQL rows, MySQL ROWS_SENT + ROWS_AFFECTED) */
  rows: number;
  /** rows the server had to read (MySQL ROWS_EXAMINED); null where the engine does not say */
  rowsExamined: number | null;
  /** calls that used no index (MySQL SUM_NO_INDEX_USED); null where the engine does not say */
  noIndexUsedCalls: number | null;
  blocksHit: number | null;
  blocksRead: number | null;
  /** a real statement with its literals, when the server keeps one (for EXPLAIN) */
  sample: string | null;
}

export interface StatementSignals {
  at: number;
  source: 'pg_stat_statements' | 'performance_schema';
  /** when the statement statistics were last reset, if the server says */
  resetAt: number | null;
  /** cumulative since resetAt; the engine may bound the list (top by total time, plus everything it needs for deltas) */
  statements: StatementStat[];
}

export interface CacheSignals {
  at: number;
  /** cumulative logical reads satisfied from the buffer cache */
  hits: number;
  /** cumulative reads that went to disk (or the OS cache) */
  reads: number;
  /** shared_buffers / innodb_buffer_pool_size */
  sizeBytes: number | null;
  /** total data + index size of the databases the cache serves, when known */
  dataBytes: number | null;
}

export interface TableStat {
  /** schema.table */
  table: string;
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  indexRowsFetched: number | null;
  liveRows: number | null;
  deadRows: number | null;
  rowsModifiedSinceAnalyze: number | null;
  lastVacuumAt: number | null;
  lastAnalyzeAt: number | null;
  dataBytes: number | null;
  indexBytes: number | null;
  /** allocated but unused space (MySQL DATA_FREE) */
  freeBytes: number | null;
  /** cumulative buffer-cache counters per table (PostgreSQL pg_statio_user_tables); null where the engine has none */
  heapBlocksHit: number | null;
  heapBlocksRead: number | null;
  indexBlocksHit: number | null;
  indexBlocksRead: number | null;
}

export interface IndexStat {
  table: string;
  index: string;
  /** columns or expressions in index order, as in the DDL */
  columns: string[];
  unique: boolean;
  primary: boolean;
  /** partial-index predicate, if any */
  where: string | null;
  /** cumulative scans; null where the engine does not count them */
  scans: number | null;
  sizeBytes: number | null;
  definition: string | null;
}

export interface ForeignKeyStat {
  table: string;
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
}

export interface TableSignals {
  at: number;
  /** when table statistics were last reset (PostgreSQL stats_reset of the database), if known */
  resetAt: number | null;
  tables: TableStat[];
  indexes: IndexStat[];
  foreignKeys: ForeignKeyStat[];
}

/** Server settings the advisors size their proposals with. Values as numbers in base units. */
export interface SettingsSignals {
  at: number;
  serverStartedAt: number | null;
  values: Record<string, string>;
  /** total memory of the server host when known (bytes) */
  hostMemoryBytes: number | null;
  /** memory one sort/hash may take per connection (work_mem / sort_buffer_size), bytes; absent when not read */
  sortMemoryBytes?: number | null;
  /** the planner's cost of a random page read relative to a sequential one; absent where the engine has none */
  randomPageCost?: number | null;
}

/** One class of the slow-query log digest (agent/slowlog), cumulative since the agent began following the log. */
export interface SlowQueryClass {
  /** short stable id of the fingerprint */
  id: string;
  fingerprint: string;
  count: number;
  totalSeconds: number;
  maxSeconds: number;
  lockSeconds: number;
  rowsSent: number;
  rowsExamined: number;
  databases: string[];
  /** the worst statement of the class with its real literals */
  sample: string | null;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
}

export interface SlowLogSignals {
  at: number;
  path: string;
  classes: SlowQueryClass[];
  linesSkipped: number;
}

/**
 * One privilege (or helper) the monitoring role lacks, found by a check that itself needs no
 * privilege, at connect and on the settings schedule: said once as a finding, instead of a
 * permission error in the server log every cycle.
 */
export interface PrivilegeGap {
  /** stable: what is missing, e.g. 'pg_read_all_stats', 'helper', 'SELECT ON `app`.*' */
  missing: string;
  /** what the agent cannot see or do without it (one line) */
  impact: string;
  /** what an administrator runs, in order (a statement or the dbdiag grants pipeline) */
  grant: string[];
  /** how to take it back */
  revoke: string[];
}

export interface PrivilegeSignals {
  at: number;
  /** the role / account the agent connects as */
  role: string;
  missing: PrivilegeGap[];
}

/** One replica as its primary sees it (PostgreSQL pg_stat_replication). */
export interface ReplicaStat {
  /** the replica's name as it connects (application_name), else its address */
  name: string;
  /** the WAL sender's state: streaming, catchup, backup, ... */
  state: string;
  /** WAL written on the primary and not yet replayed on the replica; null when not visible to this role */
  lagBytes: number | null;
  /** how long replay trails the primary; 0 when nothing is pending, null when unknown */
  lagSeconds: number | null;
}

/** A replication slot on the primary and the WAL it keeps from being recycled. */
export interface SlotStat {
  name: string;
  /** a consumer is connected to it */
  active: boolean;
  /** WAL kept for the slot (current position - restart position); null when the slot reserved none */
  retainedBytes: number | null;
  /** WAL that may still be written before the slot is invalidated (max_slot_wal_keep_size); null when unbounded */
  safeBytes: number | null;
  /** the server's verdict on the slot's WAL (PostgreSQL wal_status: reserved, extended, unreserved, lost) */
  walStatus: string | null;
}

/** A replica's own view of its replay. */
export interface ReplicaSelf {
  /** WAL received and not yet replayed; null when the engine does not say */
  lagBytes: number | null;
  /** 0 when nothing received is pending replay; else the age of the last replayed transaction; null when unknown */
  lagSeconds: number | null;
  /** replay paused by an administrator (MySQL/MariaDB: the SQL thread stopped without an error) */
  paused: boolean;
  /** receiving from its primary (PostgreSQL: a WAL receiver streaming; MariaDB: the IO thread running); null when not visible */
  receiving: boolean | null;
  /** the last replication error the replica reports (apply / SQL thread, then IO / connection), null when none */
  lastError: string | null;
  /** queries cancelled by recovery conflicts since the statistics were reset (a counter, PostgreSQL); null elsewhere */
  conflicts: number | null;
}

export interface ReplicationSignals {
  at: number;
  role: 'primary' | 'replica';
  /** replicas connected to this server (a primary, or a cascading replica) */
  replicas: ReplicaStat[];
  slots: SlotStat[];
  /** present on a replica */
  self: ReplicaSelf | null;
}

/** A counter that stops at a maximum: a sequence, an identity or an AUTO_INCREMENT column. */
export interface CounterStat {
  /** schema.sequence (PostgreSQL) or schema.table.column (AUTO_INCREMENT) */
  name: string;
  /** schema.table.column the counter feeds, when known */
  column: string | null;
  /** the last value handed out */
  value: number;
  /** the most it can reach: the smaller of its own maximum and its column type's */
  max: number;
}

/** What runs out with use: transaction IDs (PostgreSQL) and counters near their type's maximum. */
export interface RunwaySignals {
  at: number;
  /** age of the oldest unfrozen transaction ID of any database, the age at which the server stops taking writes, and the next transaction ID (64-bit: its growth is the consumption rate) */
  transactionIds: { age: number; database: string; limit: number; next: number } | null;
  /** the counters closest to their maximum (by used fraction), top N */
  counters: CounterStat[];
  /** counters this role may not read (their values are hidden) */
  hidden: number;
}

/** The operations an audit asks to be logged: schema changes, role and privilege changes, data changes, logins. */
export interface AuditedOperations {
  /** CREATE / ALTER / DROP of schema objects */
  ddl: boolean;
  /** roles, users and privileges: CREATE/ALTER/DROP ROLE or USER, GRANT, REVOKE */
  roles: boolean;
  /** INSERT / UPDATE / DELETE and the like */
  writes: boolean;
  /** logins (and their failures where the mechanism logs them) */
  connections: boolean;
}

/**
 * What the server records for an audit and how long its own settings keep it: the audit
 * posture (PostgreSQL log_statement / log_connections / pgaudit and the log collector's
 * rotation; MariaDB server_audit; MySQL audit_log; general_log on both).
 */
export interface AuditSignals {
  at: number;
  /** what writes the trail, by the server's names, e.g. "log_statement=ddl", "pgaudit", "server_audit"; empty: nothing */
  sources: string[];
  logs: AuditedOperations;
  /** days the server's own log settings keep the trail at least; null: the server does not show it (kept outside it, or by size) */
  retentionDays: number | null;
  /** how the retention was read, one line */
  retention: string;
  /** the settings read, by the server's names, as the server shows them (plugin status as plugin:<name>) */
  settings: Record<string, string>;
}

export interface Signals {
  connections?: ConnectionSignals;
  pooler?: PoolerSignals;
  statements?: StatementSignals;
  cache?: CacheSignals;
  tables?: TableSignals;
  settings?: SettingsSignals;
  slowlog?: SlowLogSignals;
  privileges?: PrivilegeSignals;
  replication?: ReplicationSignals;
  runway?: RunwaySignals;
  audit?: AuditSignals;
}

export type SignalName = keyof Signals;
