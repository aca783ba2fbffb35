// Fixes as data (DESIGN.md "Findings"): what a finding proposes, as engine-neutral intents.
// An advisor emits actions; each engine renders them into statements in one place
// (agent/engines/<engine>/remedies.ts). The rendered text stays in the finding for people
// (`fix.statements`); whatever executes a fix (the demo, later apply and drills) works from
// these actions through the engine's renderer, never by parsing text.

/** What an action locks while it runs, in neutral terms (each engine's renderer picks the online form). */
export type LockLevel =
  /** nothing that blocks reads or writes */
  | 'none'
  /** online DDL: a brief metadata/lock at start and end, reads and writes go on */
  | 'brief'
  /** blocks writes to the object while it runs */
  | 'writes'
  /** blocks reads and writes of the object */
  | 'exclusive'
  /** the server restarts: every connection drops */
  | 'restart';

/** How a setting change takes effect. */
export type SettingApply = 'online' | 'reload' | 'restart';

/**
 * Engine-neutral setting names; each engine maps them to its own (postgres: shared_buffers,
 * mysql: innodb_buffer_pool_size ...). A name an engine does not know is not rendered by it.
 */
export type NeutralSetting =
  /** most client connections the server accepts */
  | 'max-connections'
  /** the buffer cache of table and index pages, in bytes */
  | 'buffer-cache-bytes'
  /** ends sessions that sit idle inside an open transaction, in seconds */
  | 'idle-in-transaction-timeout'
  /** statement statistics (pg_stat_statements / performance_schema digests) turned on */
  | 'statement-statistics';

interface ActionBase {
  lock: LockLevel;
  /** expected run time in seconds, where known (e.g. an index build estimated from the table size) */
  expectedSeconds: number | null;
  /** one line: what can go wrong, in neutral words (engines add their own in the rendered risk) */
  risk: string;
  /** the action that undoes this one; null when there is nothing to undo */
  rollback: FixAction | null;
}

export interface CreateIndexAction extends ActionBase {
  type: 'create-index';
  /** schema.table (PostgreSQL) or database.table (MySQL) */
  table: string;
  name: string;
  /**
   * Key columns in index order: bare column names, or expressions (anything with a parenthesis).
   * When `definition` is set, these are the key parts as the catalog shows them (DDL text).
   */
  columns: string[];
  unique?: boolean;
  where?: string;
  /** payload columns of a covering index (INCLUDE on PostgreSQL, trailing key columns on InnoDB) */
  include?: string[];
  /** operator class per key column (PostgreSQL, e.g. text_pattern_ops for LIKE 'x%' in a non-C collation) */
  opclass?: Record<string, string>;
  /** leading characters indexed per key column (MySQL/MariaDB prefix index) */
  prefix?: Record<string, number>;
  /** re-creating an index that exists today: its definition as the engine's catalog gives it */
  definition?: string | null;
  /** wait at most this long for the lock before giving up (the statement fails, nothing blocks behind it) */
  lockTimeoutSeconds?: number;
}

export interface DropIndexAction extends ActionBase {
  type: 'drop-index';
  table: string;
  /** the index's own name (not qualified) */
  name: string;
  /** no error when it is already gone (a failed online build's cleanup) */
  ifExists?: boolean;
  lockTimeoutSeconds?: number;
}

export interface SetSettingAction extends ActionBase {
  type: 'set-setting';
  setting: NeutralSetting;
  /** number (bytes, seconds, count), a string, or null: back to the server's default */
  value: number | string | null;
  apply: SettingApply;
}

/** Maintenance of one table: reclaim dead rows (vacuum), refresh statistics (analyze), rebuild (optimize). */
export interface TableMaintenanceAction extends ActionBase {
  type: 'vacuum' | 'analyze' | 'optimize';
  table: string;
}

export interface TerminateSessionAction extends ActionBase {
  type: 'terminate-session';
  /** the server's session id; null when a person must pick it (the rendered text shows a placeholder) */
  session: number | null;
  /** end only the running statement, not the session */
  cancelOnly?: boolean;
  /** why this one, shown beside the placeholder */
  note?: string;
}

/** The application side: the total of every instance's connection pool. */
export interface PoolSizeAction extends ActionBase {
  type: 'pool-size';
  maxTotal: number;
}

/** A connection pooler (PgBouncer, ProxySQL...) setting in front of the database. */
export interface PoolerSettingAction extends ActionBase {
  type: 'pooler-setting';
  setting: string;
  value: string | number;
}

/** Drops a replication slot: the WAL it holds can be recycled; its consumer must be re-synchronised to come back. */
export interface DropReplicationSlotAction extends ActionBase {
  type: 'drop-replication-slot';
  slot: string;
}

/** Starts replication on a replica again: replay only (after a pause), or receiving and replay (after a stop or an error). */
export interface ResumeReplicationAction extends ActionBase {
  type: 'resume-replication';
  scope: 'replay' | 'all';
}

export type FixAction =
  | DropReplicationSlotAction
  | ResumeReplicationAction
  | CreateIndexAction
  | DropIndexAction
  | SetSettingAction
  | TableMaintenanceAction
  | TerminateSessionAction
  | PoolSizeAction
  | PoolerSettingAction;

export type FixActionType = FixAction['type'];

/**
 * How fast the actions whose run time grows with the table go, in bytes of the table (data, plus
 * indexes for vacuum and optimize) per second: the slower engine's figure measured by
 * `npm run bench:action-durations` (README, "Fix actions"), rounded down. An order of magnitude
 * for a person choosing a window, not a promise: disks, load, settings (maintenance_work_mem,
 * innodb_sort_buffer_size) and concurrent writes change it several-fold. ANALYZE reads a sample
 * of bounded size, so its time stops growing with the table: capped at what the bench measured.
 * Actions whose time does not depend on a table (settings, drop-index, terminate, pool sizes)
 * keep expectedSeconds null: they take a moment, or (a restart) as long as the server takes.
 */
export const ACTION_RATES = {
  // 2026-11-29, 82 MB table, 2 cores under shared load (load average 23-28): PostgreSQL 18
  // CREATE INDEX CONCURRENTLY 10.4 MB/s, MariaDB 10.11 ALTER TABLE ADD INDEX (INPLACE) 32.9 MB/s
  createIndexBytesPerSecond: 10e6,
  // PostgreSQL VACUUM (ANALYZE) after deleting a third 15.4 MB/s; MariaDB's rebuild 6.9 MB/s
  vacuumBytesPerSecond: 6e6,
  // PostgreSQL VACUUM FULL 6.9 MB/s; MariaDB ALTER TABLE ... ENGINE=InnoDB 17.7 MB/s
  optimizeBytesPerSecond: 6e6,
  // PostgreSQL ANALYZE 14.0 MB/s and 5.9 s on the 82 MB table; MariaDB ANALYZE TABLE 0.02 s
  analyzeBytesPerSecond: 10e6,
  analyzeMaxSeconds: 6,
} as const;

/** The expected run time of an action on a table of `bytes`, by ACTION_RATES; null when the size is unknown. */
export function expectedSecondsFor(
  type: 'create-index' | TableMaintenanceAction['type'],
  bytes: number | null | undefined,
): number | null {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return null;
  const r = ACTION_RATES;
  const seconds =
    type === 'create-index'
      ? bytes / r.createIndexBytesPerSecond
      : type === 'vacuum'
        ? bytes / r.vacuumBytesPerSecond
        : type === 'optimize'
          ? bytes / r.optimizeBytesPerSecond
          : Math.min(bytes / r.analyzeBytesPerSecond, r.analyzeMaxSeconds);
  // whole seconds, at least one: finer would claim a precision the rates do not have
  return Math.max(1, Math.ceil(seconds));
}

/** A create-index action whose rollback drops it again (the online forms are the renderer's job). */
export function createIndexAction(parts: {
  table: string;
  name: string;
  columns: readonly string[];
  where?: string;
  include?: readonly string[];
  opclass?: Readonly<Record<string, string>>;
  prefix?: Readonly<Record<string, number>>;
  lockTimeoutSeconds?: number;
  risk: string;
  /** the table's data size, when known: the build's expected time is estimated from it */
  tableBytes?: number | null;
}): CreateIndexAction {
  return {
    type: 'create-index',
    table: parts.table,
    name: parts.name,
    columns: [...parts.columns],
    ...(parts.where !== undefined ? { where: parts.where } : {}),
    ...(parts.include?.length ? { include: [...parts.include] } : {}),
    ...(parts.opclass && Object.keys(parts.opclass).length > 0 ? { opclass: { ...parts.opclass } } : {}),
    ...(parts.prefix && Object.keys(parts.prefix).length > 0 ? { prefix: { ...parts.prefix } } : {}),
    ...(parts.lockTimeoutSeconds !== undefined ? { lockTimeoutSeconds: parts.lockTimeoutSeconds } : {}),
    lock: 'brief',
    expectedSeconds: expectedSecondsFor('create-index', parts.tableBytes),
    risk: parts.risk,
    rollback: {
      type: 'drop-index',
      table: parts.table,
      name: parts.name,
      lock: 'brief',
      expectedSeconds: null,
      risk: 'queries planned on the index go back to their previous plans',
      rollback: null,
    },
  };
}

/** A drop-index action whose rollback re-creates the index as the catalog describes it. */
export function dropIndexAction(parts: {
  table: string;
  name: string;
  columns: readonly string[];
  unique: boolean;
  where: string | null;
  definition: string | null;
  risk: string;
  /** the table's data size, when known: re-creating the index (the rollback) is estimated from it */
  tableBytes?: number | null;
}): DropIndexAction {
  return {
    type: 'drop-index',
    table: parts.table,
    name: parts.name,
    lock: 'brief',
    expectedSeconds: null,
    risk: parts.risk,
    rollback: {
      type: 'create-index',
      table: parts.table,
      name: parts.name,
      columns: [...parts.columns],
      ...(parts.unique ? { unique: true } : {}),
      ...(parts.where !== null ? { where: parts.where } : {}),
      definition: parts.definition,
      lock: 'brief',
      expectedSeconds: expectedSecondsFor('create-index', parts.tableBytes),
      risk: 're-creating the index reads the whole table',
      rollback: null,
    },
  };
}

/**
 * A table maintenance action (nothing to roll back); `bytes`: what it reads, when known (the
 * table's data, plus its indexes for vacuum and optimize), to estimate its run time.
 */
export function tableMaintenanceAction(
  type: TableMaintenanceAction['type'],
  table: string,
  lock: LockLevel,
  risk: string,
  bytes: number | null = null,
): TableMaintenanceAction {
  return { type, table, lock, expectedSeconds: expectedSecondsFor(type, bytes), risk, rollback: null };
}
